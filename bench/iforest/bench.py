"""Driver for bench/iforest/run.sh (see there)."""
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BIN = os.environ.get("JOBCTL_BIN_DIR", os.path.join(ROOT, "build", "bin"))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    tool = os.path.join(BIN, "jobctl-iforest")
    if not os.path.exists(tool):
        sys.exit("bench: %s not found (build it or set JOBCTL_BIN_DIR)" % tool)
    rng = np.random.RandomState(42)
    k = n // 100
    v = np.r_[rng.normal(500, 120, n - k), rng.uniform(2000, 5000, k)]
    t = 1743528000.0 + rng.randint(0, 86400, n).astype(float)
    X = np.c_[v, t]
    y = np.r_[np.zeros(n - k), np.ones(k)]
    tmp = tempfile.mkdtemp(prefix="bench-iforest-")
    xf = os.path.join(tmp, "x.f64")
    X.astype("<f8").tofile(xf)

    # jobctl: fit (computes offset_ from the training scores) + score
    t0 = time.time()
    fit = subprocess.run([tool, "fit", "--input", xf, "--features", "2",
                          "--output", os.path.join(tmp, "m.jcif"),
                          "--n-estimators", "100", "--max-samples", "256",
                          "--contamination", "0.1", "--seed", "42",
                          "--threads", "2"],
                         check=True, capture_output=True, text=True).stdout
    t1 = time.time()
    sc = subprocess.run([tool, "score", os.path.join(tmp, "m.jcif"),
                         "--input", xf, "--features", "2", "--output",
                         os.path.join(tmp, "d.f64"), "--threads", "2"],
                        check=True, capture_output=True, text=True).stdout
    t2 = time.time()
    d_ours = np.fromfile(os.path.join(tmp, "d.f64"))
    ours_fit, ours_score = t1 - t0, t2 - t1

    t3 = time.time()
    m = IsolationForest(n_estimators=100, max_samples=256, contamination=0.1,
                        random_state=42, n_jobs=2).fit(X)
    t4 = time.time()
    d_sk = m.decision_function(X)
    t5 = time.time()
    sk_fit, sk_score = t4 - t3, t5 - t4

    auc_o = roc_auc_score(y, -d_ours)
    auc_s = roc_auc_score(y, -d_sk)
    print("bench/iforest: %d rows x 2 features, 100 trees, max_samples 256, "
          "contamination 0.1 (wall seconds, incl. process start + file read)"
          % n)
    print("%-28s %9s %9s %9s %8s %9s" % ("", "fit", "score", "total",
                                          "ROC AUC", "flagged"))
    print("%-28s %9.2f %9.2f %9.2f %8.4f %8.2f%%" % (
        "jobctl lib/ml (2 threads)", ours_fit, ours_score,
        ours_fit + ours_score, auc_o, 100 * np.mean(d_ours < 0)))
    print("%-28s %9.2f %9.2f %9.2f %8.4f %8.2f%%" % (
        "scikit-learn 1.2 (n_jobs=2)", sk_fit, sk_score, sk_fit + sk_score,
        auc_s, 100 * np.mean(d_sk < 0)))
    print("%-28s %8.1fx %8.1fx %8.1fx %+8.4f" % (
        "speedup / AUC difference", sk_fit / ours_fit, sk_score / ours_score,
        (sk_fit + sk_score) / (ours_fit + ours_score), auc_o - auc_s))
    print("in-process: %s | %s" % (fit.strip(), sc.strip()))
    for f in ("x.f64", "m.jcif", "d.f64"):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
