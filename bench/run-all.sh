#!/bin/sh
# bench/run-all.sh (make bench): every benchmark, each against its named
# baseline in the same run. Results go to stdout and bench/out/<name>.txt.
# Env: BUILD (default build). Takes about 15 minutes on 2 cores.
set -u
cd "$(dirname "$0")/.."
export BUILD="${BUILD:-build}"
export JOBCTL_BIN_DIR="$PWD/$BUILD/bin"
mkdir -p bench/out
for b in sched lake ingest cleanse iforest api remote paging validate; do
    echo "=== bench/$b"
    case $b in
    api|sched|remote|paging) sh "bench/$b/run.sh" "$JOBCTL_BIN_DIR" ;;
    validate) /usr/bin/python3 "bench/$b/run.sh" ;;
    *) sh "bench/$b/run.sh" ;;
    esac 2>&1 | tee "bench/out/$b.txt"
done
