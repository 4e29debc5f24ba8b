#!/bin/sh
# bench/cleanse: bronze -> silver on BENCH_EVENTS rows (default 5 million,
# 10% duplicates): jobctl-silver-cleanse vs DuckDB (node API, 2 threads)
# doing the same filter/cast/dedup/partitioned Parquet write on the same
# bronze files. Env: BUILD (default build), BENCH_EVENTS.
set -eu
cd "$(dirname "$0")/../.."
BIN="${BUILD:-build}/bin"
N="${BENCH_EVENTS:-5000000}"
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
set -- $(node bench/cleanse/duckdb_cleanse.cjs "$WORK/duck_out" $files)
duck_n=$1 duck_s=$2

t0=$(date +%s.%N)
"$BIN/jobctl-silver-cleanse" >"$WORK/cleanse.out"
t1=$(date +%s.%N)
jc_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
jc_n=$(sed -n 's/.* wrote \([0-9]*\) rows.*/\1/p' "$WORK/cleanse.out")

awk -v dn="$duck_n" -v ds="$duck_s" -v jn="$jc_n" -v js="$jc_s" -v n="$N" 'BEGIN {
    printf "%-40s %10s %10s %8s %12s\n", "bronze -> silver", "bronze", "silver", "seconds", "rows/s";
    printf "%-40s %10d %10d %8.2f %12.0f\n", "DuckDB 2 threads (node API)", n, dn, ds, n / ds;
    printf "%-40s %10d %10d %8.2f %12.0f\n", "jobctl-silver-cleanse -> Delta", n, jn, js, n / js;
    printf "speed ratio jobctl/duckdb: %.2f (target >= 1.0)\n", ds / js;
}'
