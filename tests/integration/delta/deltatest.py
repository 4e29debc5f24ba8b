"""deltatest: helpers shared by the delta integration tests (run jobctl,
temp JOBCTL_HOME, normalised row comparison as in the golden tables'
value_encoding)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

BIN = os.environ.get("JOBCTL_BIN_DIR", "build/bin")
JOBCTL = os.path.join(BIN, "jobctl")
SHARED = os.environ.get("JOBCTL_SHARED_DIR", "/work/shared")
NODE_DIR = os.environ.get("JOBCTL_NODE_DIR", "tests/node")
GOLDEN = os.path.join(SHARED, "testdata", "delta")


def jobctl(*args, env=None, check=True, stdin=None):
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run([JOBCTL] + [str(a) for a in args], capture_output=True,
                       text=True, env=e, input=stdin, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError("jobctl %s failed (%d):\n%s\n%s" % (
            " ".join(str(a) for a in args), p.returncode, p.stdout, p.stderr))
    return p


def norm(v):
    """Numbers compare by value: integral floats become ints."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    return v


def rows_multiset(rows):
    return sorted(json.dumps(norm(r), sort_keys=False) for r in rows)


def jsonl_rows(text, columns):
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        o = json.loads(line)
        out.append([o.get(c) for c in columns])
    return out


class TmpHome:
    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="jobctl-delta-")
        self.env = {"JOBCTL_HOME": self.dir}
        return self

    def __exit__(self, *a):
        shutil.rmtree(self.dir, ignore_errors=True)


failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL:", msg, file=sys.stderr)


def finish():
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        sys.exit(1)
    print("ok")
