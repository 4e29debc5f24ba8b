"""serve_common: start/stop a `jobctl serve` daemon for integration tests
and talk to it over real HTTP on loopback (urllib only)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BIN = os.environ.get("JOBCTL_BIN_DIR", "build/bin")
JOBCTL = os.path.join(BIN, "jobctl")


def wait_for(pred, timeout=20.0, what="condition", step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out waiting for " + what)


class Daemon:
    def __init__(self, tmp=None, token=None, webhook_secret=None, jobs_dir=None,
                 extra_args=(), env=None, keep_home=None):
        self.tmp = tmp or tempfile.mkdtemp(prefix="jobctl-serve-")
        self.home = keep_home or os.path.join(self.tmp, "home")
        self.jobs_dir = jobs_dir or os.path.join(self.tmp, "jobs")
        os.makedirs(self.jobs_dir, exist_ok=True)
        self.token = token
        self.webhook_secret = webhook_secret
        self.extra_args = list(extra_args)
        self.extra_env = env or {}
        self.proc = None
        self.port = None

    def start(self):
        port_file = os.path.join(self.tmp, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        env = dict(os.environ)
        env["JOBCTL_HOME"] = self.home
        env.pop("JOBCTL_TOKEN", None)
        env.pop("JOBCTL_WEBHOOK_SECRET", None)
        if self.token:
            env["JOBCTL_TOKEN"] = self.token
        if self.webhook_secret:
            env["JOBCTL_WEBHOOK_SECRET"] = self.webhook_secret
        env.update(self.extra_env)
        self.log = open(os.path.join(self.tmp, "serve.log"), "ab")
        self.proc = subprocess.Popen(
            [JOBCTL, "serve", "--listen", "127.0.0.1:0", "--jobs-dir",
             self.jobs_dir, "--workspace", os.path.join(self.tmp, "ws"),
             "--port-file", port_file, "--shutdown-grace", "1"]
            + self.extra_args,
            cwd=self.tmp, env=env, stdout=self.log, stderr=self.log,
            start_new_session=True)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("jobctl serve exited: " + self.read_log())
            if os.path.exists(port_file):
                with open(port_file) as f:
                    t = f.read().strip()
                return int(t) if t else None
            return None
        self.port = wait_for(ready, what="daemon port file")
        self.base = "http://127.0.0.1:%d" % self.port
        return self

    def read_log(self):
        try:
            with open(os.path.join(self.tmp, "serve.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        return rc

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- HTTP ----
    def request(self, method, path, body=None, token="default", headers=None,
                raw=None):
        url = self.base + path
        data = None
        h = dict(headers or {})
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if token == "default":
            token = self.token
        if token:
            h["Authorization"] = "Bearer " + token
        req = urllib.request.Request(url, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                text = r.read()
                return r.status, _json(text), dict(r.headers)
        except urllib.error.HTTPError as e:
            text = e.read()
            return e.code, _json(text), dict(e.headers)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body if body is not None else {}, **kw)

    def api(self, method, endpoint, body=None, expect=200, **kw):
        st, j, _ = self.request(method, "/api/2.1/jobs/" + endpoint, body, **kw)
        if st != expect:
            raise AssertionError("%s %s -> %d %r (wanted %d)" %
                                 (method, endpoint, st, j, expect))
        return j

    def create_job(self, settings):
        return self.api("POST", "create", settings)["job_id"]

    def run_now(self, job_id, **extra):
        body = {"job_id": job_id}
        body.update(extra)
        return self.api("POST", "run-now", body)["run_id"]

    def get_run(self, run_id, history=False):
        q = "runs/get?run_id=%d" % run_id
        if history:
            q += "&include_history=true"
        return self.api("GET", q)

    def wait_run(self, run_id, timeout=60):
        def done():
            r = self.get_run(run_id)
            if r["state"]["life_cycle_state"] in ("TERMINATED", "SKIPPED",
                                                  "INTERNAL_ERROR"):
                return r
            return None
        return wait_for(done, timeout=timeout, what="run %d to finish" % run_id,
                        step=0.1)


def _json(text):
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text.decode("utf-8", "replace")


def cmd_job(name, tasks, **settings):
    """JobSettings with command_task tasks: tasks = [(key, argv, deps)]."""
    t = []
    for key, argv, deps in tasks:
        e = {"task_key": key, "command_task": {"command": argv}}
        if deps:
            e["depends_on"] = [{"task_key": d} for d in deps]
        t.append(e)
    s = {"name": name, "tasks": t}
    s.update(settings)
    return s


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def main(fn):
    try:
        fn()
    except AssertionError as e:
        print("FAIL:", e, file=sys.stderr)
        sys.exit(1)
    print("ok")
