#!/bin/sh
# bench/lake/replay.sh: Delta log replay (open the latest snapshot) of a
# 1,000-commit table with checkpoints every 10 commits; baseline = the same
# log replayed from JSON only. Target: under 50 ms. Builds bench_replay.c
# with cc against the build's liblake.a. Env: BUILD (default build),
# REPLAY_COMMITS (1000), REPLAY_REPEAT (15).
set -eu
cd "$(dirname "$0")/../.."
B="${BUILD:-build}"
WORK=$(mktemp -d /tmp/jc-bench-replay.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM
cmake --build "$B" --target lake ju_util >/dev/null
cc -O2 -std=c11 -D_GNU_SOURCE -Ilib/lake/include -Ilib/util/include \
   -o "$WORK/bench_replay" bench/lake/bench_replay.c \
   "$B/lib/lake/liblake.a" "$B/lib/util/libju_util.a" \
   $(pkg-config --libs jansson libzstd zlib sqlite3) -lsnappy -lpthread -lm
"$WORK/bench_replay" "$WORK" "${REPLAY_COMMITS:-1000}" "${REPLAY_REPEAT:-15}"
