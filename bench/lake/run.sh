#!/bin/sh
# bench/lake/run.sh: Parquet write + full scan of 5 million bronze rows
# (event_id, event_type, timestamp, value, kafka_topic, kafka_partition,
# kafka_offset, kafka_timestamp, ingest_time; generated deterministically),
# lib/lake vs DuckDB with one thread in the same run:
#   write: our ZSTD writer vs DuckDB COPY ... (FORMAT PARQUET, COMPRESSION ZSTD)
#   scan:  decode every column of every row group vs a DuckDB read_parquet
#          aggregate touching every column (both on the same files)
# Ratio = ours / DuckDB (<= 1.0 means we are at least as fast). Then runs
# bench/lake/replay.sh (Delta log replay) if present. Env: BUILD (default
# build), ROWS (5000000).
set -eu
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
B="${BUILD:-build}"
ROWS="${ROWS:-5000000}"
WORK=$(mktemp -d /tmp/jc-bench-lake.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM
cmake --build "$B" --target lake ju_util >/dev/null
cc -O2 -std=c11 -D_GNU_SOURCE -Ilib/lake/include -Ilib/util/include \
   -o "$WORK/bench_parquet" bench/lake/bench_parquet.c \
   "$B/lib/lake/liblake.a" "$B/lib/util/libju_util.a" \
   $(pkg-config --libs jansson libzstd zlib sqlite3) -lsnappy -lpthread -lm

set -- $("$WORK/bench_parquet" write "$WORK/ours.parquet" "$ROWS")
OUR_WRITE=$1
OUR_SIZE=$2
"$WORK/bench_parquet" scan "$WORK/ours.parquet" >/dev/null # warm cache
DUCK=$(cd tests/node && node bench_duckdb.mjs "$WORK/ours.parquet" "$WORK/duck.parquet")
set -- $("$WORK/bench_parquet" scan "$WORK/ours.parquet")
OUR_SCAN_OURS=$1
set -- $("$WORK/bench_parquet" scan "$WORK/duck.parquet")
OUR_SCAN_DUCK=$1
DUCK_SIZE=$(wc -c < "$WORK/duck.parquet")

python3 - "$ROWS" "$OUR_WRITE" "$OUR_SIZE" "$OUR_SCAN_OURS" "$OUR_SCAN_DUCK" "$DUCK_SIZE" "$DUCK" <<'PY'
import json, sys
rows, ow, osz, os_o, os_d, dsz = sys.argv[1:7]
d = json.loads(sys.argv[7])
rows = int(rows)
print(f"bench/lake: Parquet, {rows:,} bronze rows, 1 thread each")
print(f"{'case':<34}{'lib/lake s':>11}{'DuckDB s':>10}{'ratio':>8}")
def line(name, ours, duck):
    print(f"{name:<34}{ours:>11.3f}{duck:>10.3f}{ours / duck:>8.2f}")
line("write ZSTD", float(ow), d["write"])
line("scan all columns (our file)", float(os_o), d["scan_src"])
line("scan all columns (DuckDB's file)", float(os_d), d["scan_out"])
print(f"file size: ours {int(osz):,} B, DuckDB {int(dsz):,} B")
PY
if [ -f bench/lake/replay.sh ]; then
    echo
    sh bench/lake/replay.sh
fi
