#!/bin/sh
# make demo: runs the example jobs through jobctl (the pipeline issue
# replaces this with the real Kafka -> Delta pipeline).
set -eu
cd "$(dirname "$0")/.."
export JOBCTL_HOME="${JOBCTL_HOME:-$PWD/.jobctl}"
for f in jobs/examples/*.json jobs/examples/*.yml; do
    [ -e "$f" ] || continue
    ./build/bin/jobctl run "$f"
done
