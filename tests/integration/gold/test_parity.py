"""Parity with scikit-learn 1.2.1: an IsolationForest fitted in sklearn,
exported with lib/ml/export_sklearn_iforest.py and imported into jobctl
(`jobctl model import-sklearn` of the model file or of a pickle -> MLflow
registry -> `jobctl model score models:/NAME/latest`) gives score_samples, decision_function and predict
equal to sklearn's within 1e-9 on 10,000 points. Covers the seed settings
(float32 tie-breaking on large timestamps, contamination percentile) and a
feature-subsampled bootstrap forest (estimators_features_ mapping)."""
import sys

import numpy as np
from sklearn.ensemble import IsolationForest

from gold_helpers import (TempHome, binpath, read_scored_csv, silver_like,
                          write_points_csv)
from export_sklearn_iforest import export

TOL = 1e-9


def check(label, got, want):
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    assert got.shape == want.shape, (label, got.shape, want.shape)
    err = np.max(np.abs(got - want))
    print("%-40s max |diff| = %.3g" % (label, err))
    assert err <= TOL, "%s differs by %g" % (label, err)


def main():
    jobctl = binpath("jobctl")
    tool = binpath("jobctl-iforest")
    rng = np.random.RandomState(7)
    cases = [
        ("seed settings", dict(n_estimators=100, max_samples=256,
                               contamination=0.1, random_state=42)),
        ("auto, max_features=0.5, bootstrap",
         dict(n_estimators=50, max_samples=100, contamination="auto",
              max_features=0.5, bootstrap=True, random_state=3)),
    ]
    with TempHome() as h:
        Xtrain = silver_like(rng, 5000)
        # test points: training rows (exact threshold ties after float32),
        # fresh rows, and far-out values
        Xtest = np.r_[Xtrain[:3000], silver_like(rng, 6000),
                      np.c_[rng.uniform(-1e4, 1e4, 1000),
                            1743528000 + rng.randint(-10 ** 6, 10 ** 6,
                                                     1000)]]
        assert len(Xtest) == 10000
        csv_in = h.path("points.csv")
        write_points_csv(csv_in, Xtest)
        # what the CSV carries is what both sides score
        Xtest = np.genfromtxt(csv_in, delimiter=",", skip_header=1)
        for i, (label, kw) in enumerate(cases):
            m = IsolationForest(**kw).fit(Xtrain)
            ss, df, pr = (m.score_samples(Xtest), m.decision_function(Xtest),
                          m.predict(Xtest))
            mf = h.path("m%d.jcif" % i)
            export(m, mf)
            # 1. the model file scored directly
            Xtest.astype("<f8").tofile(h.path("x.f64"))
            h.run([tool, "score", mf, "--input", h.path("x.f64"),
                   "--features", "2", "--output", h.path("d.f64")])
            check(label + ": file decision_function",
                  np.fromfile(h.path("d.f64")), df)
            # 2. through the MLflow registry and the CLI
            name = "parity_%d" % i
            src = mf
            if i == 1:  # a pickled model is converted by the exporter
                import pickle
                src = h.path("m1.pkl")
                with open(src, "wb") as fh:
                    pickle.dump(m, fh)
            r = h.run([jobctl, "model", "import-sklearn", src, "--name", name])
            assert "version 1" in r.stdout, r.stdout
            out = h.path("scored%d.csv" % i)
            h.run([jobctl, "model", "score", "models:/%s/latest" % name,
                   "--input", csv_in, "--output", out])
            s, d, p = read_scored_csv(out)
            check(label + ": score_samples", s, ss)
            check(label + ": decision_function", d, df)
            mism = int(np.sum(np.asarray(p) != pr))
            print("%-40s predict mismatches = %d (anomalies %d)"
                  % (label + ":", mism, int(np.sum(pr == -1))))
            assert mism == 0
            assert np.sum(pr == -1) > 0
        r = h.run([jobctl, "model", "list"])
        assert "parity_0" in r.stdout and "parity_1" in r.stdout, r.stdout
    print("PASS")


if __name__ == "__main__":
    sys.exit(main())
