#!/bin/sh
# bench/cleanse: bronze -> silver on BENCH_EVENTS rows (default 5 million,
# 10% duplicates): jobctl-silver-cleanse vs DuckDB (node API, 2 threads)
# doing the same filter/cast/dedup/partitioned Parquet write on the same
# bronze files, alternating for ROUNDS rounds (median ratio printed).
# Env: BUILD (default build), BENCH_EVENTS, ROUNDS (default 3).
set -eu
cd "$(dirname "$0")/../.."
BIN="${BUILD:-build}/bin"
N="${BENCH_EVENTS:-5000000}"
ROUNDS="${ROUNDS:-3}"
WORK=$(mktemp -d /tmp/jc-bench-cleanse.XXXXXX)
export JOBCTL_HOME="$WORK/home" JOBCTL_LAKE="$WORK/home/lake"
export JOBCTL_NODE_DIR="$PWD/tests/node"
unset KAFKA_BOOTSTRAP KAFKA_API_KEY KAFKA_API_SECRET KAFKA_CONFIG || true
mkdir -p "$JOBCTL_HOME"

"$BIN/jobctl-kafka-broker" --partitions 32 >"$WORK/broker.out" 2>"$WORK/broker.log" &
BROKER=$!
trap 'kill $BROKER 2>/dev/null || true; wait $BROKER 2>/dev/null || true; rm -rf "$WORK"' EXIT INT TERM
while [ ! -s "$JOBCTL_HOME/kafka.bootstrap" ]; do sleep 0.1; done
echo "building bronze_events with $N events..."
"$BIN/jobctl-producer" --count "$N" --duplicates 0.1 --late 0.01 \
    --malformed 0.001 --quiet --seed 1 >/dev/null
"$BIN/jobctl-bronze-ingest" --available-now >/dev/null
kill $BROKER; wait $BROKER 2>/dev/null || true

files=$(find "$JOBCTL_LAKE/bronze_events" -name '*.parquet' -not -path '*_delta_log*' | sort)
printf "%-6s %10s %10s %12s %12s %8s\n" round bronze silver "duckdb s" "jobctl s" ratio
: >"$WORK/rounds"
r=1
while [ "$r" -le "$ROUNDS" ]; do
    # each side starts with no dirty pages from the other's output
    rm -rf "$WORK/duck_out" "$JOBCTL_LAKE/silver_events" "$JOBCTL_LAKE/benchmark_logs"
    sync
    set -- $(node bench/cleanse/duckdb_cleanse.cjs "$WORK/duck_out" $files)
    duck_n=$1 duck_s=$2
    sync
    t0=$(date +%s.%N)
    "$BIN/jobctl-silver-cleanse" >"$WORK/cleanse.out"
    t1=$(date +%s.%N)
    jc_n=$(sed -n 's/.* wrote \([0-9]*\) rows.*/\1/p' "$WORK/cleanse.out")
    [ "$jc_n" = "$duck_n" ] || { echo "silver rows: jobctl $jc_n, duckdb $duck_n" >&2; exit 1; }
    awk -v r="$r" -v n="$N" -v dn="$duck_n" -v ds="$duck_s" -v a="$t0" -v b="$t1" 'BEGIN {
        printf "%-6s %10d %10d %12.2f %12.2f %8.2f\n", r, n, dn, ds, b - a, ds / (b - a) }' | tee -a "$WORK/rounds"
    r=$((r + 1))
done
awk -v n="$N" '{ x[NR] = $6; if (best == "" || $5 < best) best = $5; if (bd == "" || $4 < bd) bd = $4 }
END {
    for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
    m = NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2;
    printf "best rounds: DuckDB 2 threads %.0f rows/s, jobctl-silver-cleanse %.0f rows/s\n", n / bd, n / best;
    printf "speed ratio jobctl/duckdb: median %.2f over %d rounds (target >= 1.0)\n", m, NR }' "$WORK/rounds"
