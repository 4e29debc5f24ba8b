#!/bin/sh
# bench/ingest: Kafka -> committed Delta (jobctl-bronze-ingest
# --available-now) vs a bare librdkafka consumer that only touches each
# payload, on the same topic in the embedded broker (32 partitions, zstd).
# Env: BUILD (default build), BENCH_EVENTS (default 5000000).
set -eu
cd "$(dirname "$0")/../.."
BIN="${BUILD:-build}/bin"
N="${BENCH_EVENTS:-5000000}"
WORK=$(mktemp -d /tmp/jc-bench-ingest.XXXXXX)
export JOBCTL_HOME="$WORK/home" JOBCTL_LAKE="$WORK/home/lake"
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

set -- $("$WORK/bare_consumer" "$B" stream-input)
bare_n=$1 bare_s=$2
t0=$(date +%s.%N)
JOBCTL_LOG_LEVEL=debug "$BIN/jobctl-bronze-ingest" --available-now \
    >"$WORK/ingest.out" 2>"$WORK/ingest.err" || {
    cat "$WORK/ingest.err" >&2
    exit 1
}
t1=$(date +%s.%N)
ing_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
ing_n=$(sed -n 's/^ingested \([0-9]*\) events, quarantined \([0-9]*\).*/\1 \2/p' "$WORK/ingest.out" | awk '{print $1 + $2}')

awk -v bn="$bare_n" -v bs="$bare_s" -v in_="$ing_n" -v is="$ing_s" 'BEGIN {
    br = bn / bs; ir = in_ / is;
    printf "%-44s %10s %8s %12s\n", "consumer", "messages", "seconds", "msgs/s";
    printf "%-44s %10d %8.2f %12.0f\n", "bare librdkafka (touch payload)", bn, bs, br;
    printf "%-44s %10d %8.2f %12.0f\n", "jobctl-bronze-ingest -> committed Delta", in_, is, ir;
    printf "ratio ingest/bare: %.2f (target >= 0.70)\n", ir / br;
}'
# where the ingest's main thread waited (librdkafka = decompression not
# keeping up; writer = Parquet + commit not keeping up)
sed -n 's/.*consume wait seconds=\([0-9.]*\) flush wait=\([0-9.]*\) writer busy=\([0-9.]*\).*/ingest waited for librdkafka \1 s, for the writer \2 s; writer busy \3 s/p' "$WORK/ingest.err"
