"""runner_util: helpers for the runner integration tests: a temp
JOBCTL_HOME, writing jobs and workspace files, running jobctl, reading
runs as JSON, and checking that processes are gone."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("JOBCTL_BIN_DIR", "bin")
JOBCTL = os.path.join(BIN, "jobctl")


class Env:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="jc-runner-")
        self.home = os.path.join(self.dir, "home")
        self.ws = os.path.join(self.dir, "ws")
        os.makedirs(self.ws)
        self.env = dict(os.environ)
        self.env["JOBCTL_HOME"] = self.home
        self.env["JOBCTL_KILL_GRACE_MS"] = "500"
        self.env.pop("DATABRICKS_HOST", None)
        self.env["JOBCTL_NO_DAEMON"] = "1"
        self.env.pop("JOBCTL_RUN_ID", None)

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def job(self, name, doc):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            json.dump(doc, f)
        return path

    def script(self, name, text, mode=0o755):
        path = os.path.join(self.ws, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def jobctl(self, *args, timeout=90, check=None):
        p = subprocess.run([JOBCTL] + list(args), env=self.env, cwd=self.dir,
                           capture_output=True, text=True, timeout=timeout)
        if check is not None and p.returncode != check:
            fail("jobctl %s: exit %d (want %d)\nstdout:\n%s\nstderr:\n%s" %
                 (" ".join(args), p.returncode, check, p.stdout, p.stderr))
        return p

    def popen(self, *args):
        return subprocess.Popen([JOBCTL] + list(args), env=self.env,
                                cwd=self.dir, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def run(self, path, *args, want_exit=None):
        p = self.jobctl("run", path, "--workspace", self.ws, "--json", *args,
                        check=want_exit)
        try:
            return json.loads(p.stdout), p
        except ValueError:
            fail("run output is not JSON:\n%s\n%s" % (p.stdout, p.stderr))

    def show(self, run_id):
        return json.loads(self.jobctl("show", str(run_id), "--json",
                                      check=0).stdout)


def latest(run):
    """task_key -> latest attempt entry."""
    out = {}
    for t in run["tasks"]:
        k = t["task_key"]
        if k not in out or t["attempt_number"] >= out[k]["attempt_number"]:
            out[k] = t
    return out


def results(run):
    return {k: t["state"].get("result_state") for k, t in latest(run).items()}


def attempts(run, key):
    return sorted([t for t in run["tasks"] if t["task_key"] == key],
                  key=lambda t: t["attempt_number"])


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pids, deadline_s=10):
    end = time.time() + deadline_s
    while time.time() < end:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def wait_for(pred, deadline_s=30, what="condition"):
    end = time.time() + deadline_s
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    fail("timed out waiting for %s" % what)


def read_pids(path):
    try:
        with open(path) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def kill_all(pids):
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
