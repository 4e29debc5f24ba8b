#!/bin/sh
# make demo: the Kafka -> Delta medallion pipeline on one machine.
# Starts the embedded Kafka broker, produces a realistic batch of events
# (duplicates, late, anomalous and malformed ones), runs the pipeline job
# (bronze ingest -> silver cleanse -> monitor [-> gold train/score]),
# prints what landed in each table, then stops the broker.
set -eu
cd "$(dirname "$0")/.."
export JOBCTL_HOME="${JOBCTL_HOME:-$PWD/.jobctl}"
BUILD="${BUILD:-build}"
BIN="./$BUILD/bin"
COUNT="${DEMO_EVENTS:-20000}"
mkdir -p "$JOBCTL_HOME"

JOB=jobs/full_streaming_pipeline.json
if [ ! -f "$JOB" ]; then
    for seed in "${JOBCTL_SHARED_DIR:-../shared}/seeds/full_streaming_pipeline.json" \
                /work/shared/seeds/full_streaming_pipeline.json; do
        if [ -f "$seed" ]; then JOB="$seed"; break; fi
    done
fi

echo "== 1. embedded Kafka broker (JOBCTL_HOME=$JOBCTL_HOME)"
rm -f "$JOBCTL_HOME/kafka.bootstrap"
"$BIN/jobctl" kafka-broker --partitions 4 >"$JOBCTL_HOME/broker.out" 2>"$JOBCTL_HOME/broker.log" &
BROKER=$!
trap 'kill $BROKER 2>/dev/null || true; wait $BROKER 2>/dev/null || true' EXIT INT TERM
i=0
while [ ! -s "$JOBCTL_HOME/kafka.bootstrap" ]; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 $BROKER 2>/dev/null; then
        echo "demo: the broker did not start:" >&2
        cat "$JOBCTL_HOME/broker.log" >&2
        exit 1
    fi
    sleep 0.1
done
cat "$JOBCTL_HOME/broker.out"

echo
echo "== 2. produce $COUNT events"
"$BIN/jobctl" produce --count "$COUNT" --duplicates 0.05 --late 0.02 \
    --anomalies 0.01 --malformed 0.01 --seed "${DEMO_SEED:-42}"

echo
echo "== 3. run the job: $JOB"
WS=""
if [ "$BUILD" != build ]; then
    # jobs/workspace links into ./build/bin; mirror it for another build dir.
    WS="$JOBCTL_HOME/workspace-$BUILD"
    rm -rf "$WS"; mkdir -p "$WS"
    for f in jobs/workspace/*; do
        [ -L "$f" ] || continue
        ln -s "$PWD/$BIN/$(basename "$(readlink "$f")")" "$WS/$(basename "$f")"
    done
fi
status=0
"$BIN/jobctl" run "$JOB" ${WS:+--workspace "$WS"} || status=$?

echo
echo "== 4. tables (JOBCTL_HOME/lake)"
for t in bronze_events bronze_quarantine silver_events monitor_logs \
         benchmark_logs gold_anomaly_predictions gold_events_scored; do
    [ -d "$JOBCTL_HOME/lake/$t/_delta_log" ] || continue
    n=$("$BIN/jobctl" sql "SELECT COUNT(*) AS n FROM $t" --format csv 2>/dev/null | tail -n 1) || n="?"
    printf '  %-26s %s rows\n' "$t" "$n"
done

echo
echo "== 5. monitor result"
"$BIN/jobctl" sql "SELECT run_time, late_events, total_events, freshness_seconds, healthy FROM monitor_logs ORDER BY run_time DESC LIMIT 1" 2>/dev/null \
    || echo "  (see the monitor task's log: jobctl logs <run_id> monitor_silver_events)"

# == 6. gold: the seed's "Top Anomaly Query" (anomaly_score is scikit-learn's
# decision_function: below 0 is an anomaly, lowest first).
if [ -d "$JOBCTL_HOME/lake/gold_anomaly_predictions/_delta_log" ]; then
    echo
    echo "== 6. gold: top 20 anomalies (the seed's query)"
    "$BIN/jobctl" sql "SELECT * FROM gold_anomaly_predictions WHERE anomaly_flag = -1 ORDER BY anomaly_score ASC LIMIT 20" 2>/dev/null || true
    echo
    echo "== 7. MLflow registry ($JOBCTL_HOME/mlruns)"
    "$BIN/jobctl" model list 2>/dev/null || true
fi

cat <<EOT

Look further:
  $BIN/jobctl runs
  $BIN/jobctl sql "SELECT * FROM bronze_quarantine LIMIT 5"
  $BIN/jobctl sql "SELECT event_type, COUNT(*) FROM silver_events GROUP BY event_type"
  $BIN/jobctl sql "SELECT * FROM monitor_logs ORDER BY run_time DESC"
  $BIN/jobctl sql "SELECT * FROM benchmark_logs ORDER BY run_time DESC"
  $BIN/jobctl table history silver_events
EOT
exit $status
