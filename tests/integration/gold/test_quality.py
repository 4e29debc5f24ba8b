"""Quality: on a labelled synthetic set (three normal clusters + 1%
uniform anomalies), the ROC AUC of jobctl's own Isolation Forest fit is
within 0.01 of scikit-learn's fitted with the same settings, averaged over
three seeds each, and the share flagged matches contamination."""
import sys

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

from gold_helpers import TempHome, binpath


def main():
    tool = binpath("jobctl-iforest")
    rng = np.random.RandomState(0)
    n = 20000
    k = n // 100
    centers = np.array([[0, 0], [5, 5], [-4, 6]])
    Xn = np.vstack([rng.normal(c, 0.7, size=((n - k) // 3 + 1, 2))
                    for c in centers])[: n - k]
    X = np.vstack([Xn, rng.uniform(-10, 12, size=(k, 2))])
    y = np.r_[np.zeros(n - k), np.ones(k)]
    ours, theirs = [], []
    with TempHome() as h:
        X.astype("<f8").tofile(h.path("x.f64"))
        for seed in (1, 2, 3):
            m = IsolationForest(n_estimators=100, max_samples=256,
                                contamination=0.1, random_state=seed).fit(X)
            theirs.append(roc_auc_score(y, -m.decision_function(X)))
            h.run([tool, "fit", "--input", h.path("x.f64"), "--features", "2",
                   "--output", h.path("m.jcif"), "--contamination", "0.1",
                   "--max-samples", "256", "--seed", str(seed),
                   "--scores-out", h.path("d.f64")])
            d = np.fromfile(h.path("d.f64"))
            assert len(d) == n
            ours.append(roc_auc_score(y, -d))
            flagged = float(np.mean(d < 0))
            assert abs(flagged - 0.1) < 0.002, flagged
    a, b = float(np.mean(ours)), float(np.mean(theirs))
    print("ROC AUC jobctl %.4f (%s) sklearn %.4f (%s) diff %.4f" % (
        a, ", ".join("%.4f" % v for v in ours), b,
        ", ".join("%.4f" % v for v in theirs), a - b))
    assert abs(a - b) <= 0.01
    assert a > 0.9
    print("PASS")


if __name__ == "__main__":
    sys.exit(main())
