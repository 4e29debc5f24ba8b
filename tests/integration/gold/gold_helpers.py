"""Shared helpers for the gold integration tests: paths, temp homes,
running jobctl binaries, CSV round trips, and a small sklearn fixture."""
import csv
import os
import shutil
import subprocess
import sys
import tempfile

BIN = os.environ.get("JOBCTL_BIN_DIR", "build/bin")
SRC = os.environ.get("JOBCTL_SOURCE_DIR", ".")
sys.path.insert(0, os.path.join(SRC, "lib", "ml"))


def binpath(name):
    p = os.path.join(BIN, name)
    if not os.path.exists(p):
        raise SystemExit("FAIL: %s not built" % p)
    return p


class TempHome:
    def __init__(self, prefix="gold-"):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.env = dict(os.environ)
        self.env["JOBCTL_HOME"] = os.path.join(self.dir, "home")
        self.env["TMPDIR"] = self.dir
        self.env.pop("MLFLOW_TRACKING_URI", None)
        self.env.pop("MLFLOW_TRACKING_TOKEN", None)
        os.makedirs(self.env["JOBCTL_HOME"])

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def run(self, args, check=True, env=None, timeout=120):
        e = dict(self.env)
        if env:
            e.update(env)
        r = subprocess.run(args, env=e, capture_output=True, text=True,
                           timeout=timeout, cwd=self.dir)
        if check and r.returncode != 0:
            raise AssertionError("command %s failed (%d):\n%s\n%s" % (
                args, r.returncode, r.stdout, r.stderr))
        return r

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


def write_points_csv(path, X):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["value", "timestamp_unix"])
        for v, t in X:
            w.writerow(["%.17g" % v, "%d" % int(t)])


def read_scored_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    s = [float(r["score_samples"]) for r in rows]
    d = [float(r["decision_function"]) for r in rows]
    p = [int(r["predict"]) for r in rows]
    return s, d, p


def silver_like(rng, n, anomalies=0.01):
    """value ~ seed's event values, timestamp_unix over one day."""
    import numpy as np
    k = int(n * anomalies)
    v = np.r_[rng.normal(500, 120, n - k), rng.uniform(2000, 5000, k)]
    t = np.r_[1743528000 + rng.randint(0, 86400, n - k),
              1743528000 + rng.randint(0, 86400, k)]
    return np.c_[v, t.astype(float)]
