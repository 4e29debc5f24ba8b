#!/bin/sh
# bench/iforest/run.sh: Isolation Forest fit + score on 1M rows x 2
# features (seed settings: 100 trees, 256 samples, contamination 0.1,
# seed 42): jobctl's lib/ml (jobctl-iforest) vs scikit-learn (n_jobs=2) in
# the same run, with ROC AUC on the labelled anomalies to show equal quality.
# Usage: bench/iforest/run.sh [ROWS]   (JOBCTL_BIN_DIR, default build/bin)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/bench.py" "$@"
