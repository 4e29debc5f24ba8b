#!/bin/sh
# bench/ingest: Kafka -> committed Delta (jobctl-bronze-ingest
# --available-now) vs a bare librdkafka consumer that only touches each
# payload, on the same topic in the embedded broker (32 partitions, zstd).
# ROUNDS rounds alternate the two on the same broker (the ingest into a
# fresh lake each time); the ratio of each round and their median are
# printed. The ingest links jemalloc (cmake/Deps.cmake), so each round's
# baseline is the faster of the bare consumer with glibc malloc and with
# jemalloc (LD_PRELOAD).
# Env: BUILD (default build), BENCH_EVENTS (default 5000000), ROUNDS (3).
set -eu
cd "$(dirname "$0")/../.."
BIN="${BUILD:-build}/bin"
N="${BENCH_EVENTS:-5000000}"
ROUNDS="${ROUNDS:-3}"
WORK=$(mktemp -d /tmp/jc-bench-ingest.XXXXXX)
export JOBCTL_HOME="$WORK/home"
unset KAFKA_BOOTSTRAP KAFKA_API_KEY KAFKA_API_SECRET KAFKA_CONFIG || true
mkdir -p "$JOBCTL_HOME"
cc -O2 -o "$WORK/bare_consumer" bench/ingest/bare_consumer.c -lrdkafka

"$BIN/jobctl-kafka-broker" --partitions 32 >"$WORK/broker.out" 2>"$WORK/broker.log" &
BROKER=$!
trap 'kill $BROKER 2>/dev/null || true; wait $BROKER 2>/dev/null || true; rm -rf "$WORK"' EXIT INT TERM
while [ ! -s "$JOBCTL_HOME/kafka.bootstrap" ]; do sleep 0.1; done
B=$(head -n 1 "$JOBCTL_HOME/kafka.bootstrap")

echo "producing $N events (32 partitions, zstd)..."
"$BIN/jobctl-producer" --count "$N" --quiet --seed 1 >/dev/null
JEMALLOC=$(ldd "$BIN/jobctl-bronze-ingest" | sed -n 's/.*libjemalloc[^ ]* => \([^ ]*\).*/\1/p')

printf "%-6s %-10s %10s %10s %10s %8s\n" round messages "bare glibc" "bare jemalloc" "ingest" ratio
r=1
: >"$WORK/ratios"
while [ "$r" -le "$ROUNDS" ]; do
    set -- $("$WORK/bare_consumer" "$B" stream-input)
    bare_n=$1 bg=$2 bj=-
    best=$bg
    if [ -n "$JEMALLOC" ]; then
        set -- $(LD_PRELOAD="$JEMALLOC" "$WORK/bare_consumer" "$B" stream-input)
        bj=$2
        best=$(awk -v a="$bg" -v b="$bj" 'BEGIN { print (b < a ? b : a) }')
    fi
    export JOBCTL_LAKE="$WORK/lake$r"
    t0=$(date +%s.%N)
    JOBCTL_LOG_LEVEL=debug "$BIN/jobctl-bronze-ingest" --available-now \
        >"$WORK/ingest.out" 2>"$WORK/ingest.err" || {
        cat "$WORK/ingest.err" >&2
        exit 1
    }
    t1=$(date +%s.%N)
    rm -rf "$JOBCTL_LAKE"
    ing_n=$(sed -n 's/^ingested \([0-9]*\) events, quarantined \([0-9]*\).*/\1 \2/p' "$WORK/ingest.out" | awk '{print $1 + $2}')
    [ "$ing_n" = "$bare_n" ] || { echo "ingest read $ing_n messages, bare $bare_n" >&2; exit 1; }
    awk -v r="$r" -v n="$bare_n" -v bg="$bg" -v bj="$bj" -v best="$best" -v a="$t0" -v b="$t1" 'BEGIN {
        printf "%-6s %-10d %10.2f %13s %10.2f %8.2f\n", r, n, bg, bj, b - a, best / (b - a) }' | tee -a "$WORK/rounds"
    # where the ingest's main thread waited (librdkafka = decompression
    # not keeping up; writer = Parquet + commit not keeping up)
    sed -n 's/.*consume wait seconds=\([0-9.]*\) flush wait=\([0-9.]*\) writer busy=\([0-9.]*\).*/       ingest waited for librdkafka \1 s, for the writer \2 s; writer busy \3 s/p' "$WORK/ingest.err"
    r=$((r + 1))
done
awk '{ x[NR] = $6; best = best == "" || $5 < best ? $5 : best; n = $2 }
END {
    # median of the per-round ratios
    for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
    m = NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2;
    printf "ingest: %.0f msgs/s (best round); ratio ingest/bare median %.2f over %d rounds (target >= 0.70)\n", n / best, m, NR }' "$WORK/rounds"
