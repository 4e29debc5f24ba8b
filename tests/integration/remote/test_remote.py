#!/usr/bin/env python3
"""Remote execution through the CLI: `jobctl run FILE --remote` against the
fake Databricks server (fakedbx.py), then `jobctl costs` and `jobctl sql`.

One mixed DAG run covers: a remote success (notebook on an existing
cluster), a remote failure retried once with its Databricks error shown, a
remote timeout cancelled on the server, a 429 with Retry-After honoured on
runs/submit, a dropped connection on runs/get retried, a command_task
refused for Databricks, and local tasks that finish while remote runs are
still being polled. Then: accounting rows for every attempt in SQLite and
both Delta tables, costs matching the price table in config.yaml, and the
token never leaking. A second run with a bad token shows UNAUTHENTICATED.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("JOBCTL_BIN_DIR", "build/bin")
SRC = os.environ.get("JOBCTL_SOURCE_DIR", ".")
JOBCTL = os.path.join(BIN, "jobctl")
FAKE = os.path.join(SRC, "tests", "integration", "remote", "fakedbx.py")
TOKEN = "dapi-integration-secret-42"

JOB = {
    "job_id": 77,
    "settings": {
        "name": "remote-mixed",
        "job_clusters": [{"job_cluster_key": "main", "new_cluster": {
            "spark_version": "15.4.x-scala2.12", "node_type_id": "m5.xlarge",
            "num_workers": 2,
            "aws_attributes": {"availability": "SPOT_WITH_FALLBACK"}}}],
        "tasks": [
            {"task_key": "local_early", "command_task": {
                "command": ["/bin/sleep", "0.2"]}},
            {"task_key": "remote_ok", "existing_cluster_id": "0101-abc",
             "notebook_task": {"notebook_path": "/Repos/me/ingest",
                               "base_parameters": {"run": "{{run.id}}"}},
             "libraries": [{"pypi": {"package": "numpy"}}]},
            {"task_key": "remote_fail", "job_cluster_key": "main",
             "max_retries": 1,
             "spark_python_task": {"python_file": "/Repos/me/boom.py",
                                   "parameters": ["--x", "1"]}},
            {"task_key": "remote_slow", "timeout_seconds": 1,
             "new_cluster": {"spark_version": "15.4.x-scala2.12",
                             "node_type_id": "i3.xlarge", "num_workers": 1},
             "notebook_task": {"notebook_path": "/Repos/me/slow"}},
            {"task_key": "bad_command", "existing_cluster_id": "0101-abc",
             "command_task": {"command": ["/bin/true"]}},
            {"task_key": "local_after", "depends_on": [
                {"task_key": "remote_ok"}],
             "command_task": {"command": ["/bin/true"]}},
        ],
    },
}

SCENARIO = {
    "tasks": {"remote_ok": {"duration": 2.0},
              "remote_fail": {"mode": "fail", "duration": 0.2},
              "remote_slow": {"mode": "hang"}},
    "faults": [{"path": "runs/submit", "status": 429, "retry_after": 1,
                "count": 1},
               {"path": "runs/get", "drop": True, "count": 1}],
}

CONFIG = """\
pricing:
  currency: USD
  local: {core_hour: 0.5, gib_hour: 0.1}
  databricks:
    dbu_price: 0.25
    spot_discount: 0.5
    node_types:
      m5.xlarge: {dbu_per_hour: 0.7, vm_per_hour: 0.2}
      i3.xlarge: {dbu_per_hour: 1.0, vm_per_hour: 0.3}
    default_dbu_per_hour: 1.5
    default_vm_per_hour: 0.4
    default_workers: 2
"""


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def start_fake(tmp):
    port_file = os.path.join(tmp, "port")
    log = os.path.join(tmp, "requests.jsonl")
    sc = os.path.join(tmp, "scenario.json")
    with open(sc, "w") as f:
        json.dump(SCENARIO, f)
    p = subprocess.Popen([sys.executable, FAKE, "--port-file", port_file,
                          "--log", log, "--scenario", sc, "--token", TOKEN],
                         stdout=subprocess.DEVNULL)
    deadline = time.time() + 15
    while time.time() < deadline:
        if os.path.exists(port_file):
            with open(port_file) as f:
                return p, int(f.read()), log
        time.sleep(0.05)
    p.kill()
    fail("fake server did not start")
    return None


def requests(log):
    with open(log) as f:
        return [json.loads(line) for line in f if line.strip()]


def jobctl(args, env, timeout=90):
    return subprocess.run([JOBCTL] + args, env=env, capture_output=True,
                          text=True, timeout=timeout)


def main():
    tmp = tempfile.mkdtemp(prefix="jobctl-remote-")
    fake = None
    try:
        fake, port, log = start_fake(tmp)
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        with open(os.path.join(home, "config.yaml"), "w") as f:
            f.write(CONFIG)
        job_path = os.path.join(tmp, "job.json")
        with open(job_path, "w") as f:
            json.dump(JOB, f)
        env = dict(os.environ)
        env.update({"JOBCTL_HOME": home,
                    "DATABRICKS_HOST": f"http://127.0.0.1:{port}",
                    "DATABRICKS_TOKEN": TOKEN,
                    "DATABRICKS_CONFIG_FILE": os.path.join(tmp, "none.cfg"),
                    "JOBCTL_DATABRICKS_POLL_S": "0.1",
                    "JOBCTL_DATABRICKS_POLL_MAX_S": "0.3",
                    "JOBCTL_DATABRICKS_RETRY_S": "0.1",
                    "JOBCTL_KILL_GRACE_MS": "1000",
                    "JOBCTL_LOG_LEVEL": "info"})

        r = jobctl(["run", job_path, "--remote", "--json"], env)
        out = r.stdout + r.stderr
        check(TOKEN not in out, "token leaked into jobctl output")
        check(r.returncode == 1, f"run should fail (exit 1), got "
              f"{r.returncode}: {r.stderr[-2000:]}")
        run = json.loads(r.stdout)
        tasks = run["tasks"]
        by = {}
        for t in tasks:
            by.setdefault(t["task_key"], []).append(t)

        def res(key, attempt=-1):
            return by[key][attempt]["state"].get("result_state")

        def msg(key, attempt=-1):
            return by[key][attempt]["state"].get("state_message", "")

        check(res("remote_ok") == "SUCCESS", f"remote_ok: {by['remote_ok']}")
        check(res("local_after") == "SUCCESS", "local_after did not run")
        check(len(by["remote_fail"]) == 2, "remote_fail not retried once")
        check(res("remote_fail") == "FAILED", "remote_fail not FAILED")
        check("ZeroDivisionError" in msg("remote_fail"),
              f"Databricks error not shown: {msg('remote_fail')!r}")
        check(res("remote_slow") == "TIMEDOUT",
              f"remote_slow: {res('remote_slow')}")
        check(res("bad_command") == "FAILED" and
              "command_task" in msg("bad_command"),
              f"command_task not refused: {msg('bad_command')!r}")

        reqs = requests(log)
        paths = [q["path"] for q in reqs]
        check(all(q["auth_ok"] for q in reqs), "a request without the token")
        # runs/cancel for the timed-out run (and only that one)
        cancels = [q for q in reqs if q["path"].endswith("/runs/cancel")]
        check(len(cancels) == 1, f"cancel calls: {len(cancels)}")
        # 429 honoured: the retried submit comes >= Retry-After later,
        # with the same idempotency token
        first = next(i for i, q in enumerate(reqs) if q.get("status") == 429)
        tok = None
        for q in reqs[first + 1:]:
            if q["path"].endswith("/runs/submit") and q["status"] == 200:
                if q["t"] - reqs[first]["t"] >= 0.95:
                    tok = q["body"]["idempotency_token"]
                    break
        check(tok and tok.startswith("jobctl-"),
              "no submit retried after Retry-After")
        check(any(q.get("note") == "dropped" for q in reqs),
              "drop fault not hit")
        # job cluster inlined, libraries and resolved parameters sent
        subs = [q["body"] for q in reqs if q["path"].endswith("/runs/submit")
                and q["status"] == 200]
        for b in subs:
            t = b["tasks"][0]
            check("job_cluster_key" not in t, "job_cluster_key sent")
            if t["task_key"] == "remote_fail":
                check(t["new_cluster"]["node_type_id"] == "m5.xlarge",
                      "job cluster not inlined")
            if t["task_key"] == "remote_ok":
                check(t["libraries"] == [{"pypi": {"package": "numpy"}}],
                      "libraries not sent")
                check(t["notebook_task"]["base_parameters"]["run"] ==
                      str(run["run_id"]), "{{run.id}} not resolved")
        check(all("/api/2.2/" in p for p in paths), "not API 2.2")

        # local task finished while remote_ok was still running there
        le = by["local_early"][-1]
        ok = by["remote_ok"][-1]
        check(le["end_time"] < ok["end_time"],
              "local task did not progress while remote runs polled")

        # accounting: every attempt has a cost row; costs sum up
        n_attempts = len(tasks)
        r = jobctl(["costs", "--json"], env)
        check(r.returncode == 0, f"costs failed: {r.stderr}")
        costs = json.loads(r.stdout)
        check(costs["total"]["attempts"] == n_attempts,
              f"costs attempts {costs['total']['attempts']} != {n_attempts}")
        api_total = sum(t.get("x_jobctl", {}).get("cost", 0) for t in tasks)
        check(abs(costs["total"]["cost"] - api_total) < 1e-9,
              f"costs total {costs['total']['cost']} != {api_total}")
        # billed time = setup + execution + cleanup (cluster_logs has them)
        r = jobctl(["sql", "SELECT task_name, attempt, setup_ms + "
                    "execution_ms + cleanup_ms AS ms, cost, cluster_name "
                    "FROM cluster_logs WHERE executor = 'databricks' AND "
                    "remote_run_id IS NOT NULL", "--format", "jsonl"], env)
        check(r.returncode == 0, f"sql billed: {r.stderr}")
        billed = {(x["task_name"], x["attempt"]): x
                  for x in map(json.loads, r.stdout.splitlines())}
        # remote_ok: existing cluster -> default node x (2 workers + driver)
        b = billed[("remote_ok", 0)]
        check(b["ms"] > 0, f"no Databricks durations: {b}")
        want = b["ms"] / 3.6e6 * 3 * (1.5 * 0.25 + 0.4)
        got = ok.get("x_jobctl", {}).get("cost")
        check(got is not None and abs(got - want) < 1e-9,
              f"remote_ok cost {got} != {want}")
        check(abs(b["cost"] - got) < 1e-9, "cluster_logs cost differs")
        # remote_fail: m5.xlarge, 2 spot workers at 50% off the VM price
        b = billed[("remote_fail", 0)]
        want = b["ms"] / 3.6e6 * (3 * 0.7 * 0.25 + 0.2 + 2 * 0.2 * 0.5)
        got = by["remote_fail"][0].get("x_jobctl", {}).get("cost")
        check(got is not None and abs(got - want) < 1e-9,
              f"remote_fail cost {got} != {want}")
        check(b["cluster_name"] == "databricks:m5.xlarge x3 (spot)",
              f"cluster_name {b['cluster_name']}")
        r = jobctl(["costs", "--by", "job"], env)
        check(r.returncode == 0 and "remote-mixed" in r.stdout,
              f"costs --by job: {r.stdout} {r.stderr}")

        # Delta mirror, queried with jobctl sql
        for table in ("cluster_logs", "benchmark_logs"):
            r = jobctl(["sql", f"SELECT count(*) AS n FROM {table}",
                        "--format", "jsonl"], env)
            check(r.returncode == 0, f"sql {table}: {r.stderr}")
            n = json.loads(r.stdout.splitlines()[0])["n"]
            check(n == n_attempts, f"{table} has {n} rows, "
                  f"want {n_attempts}")
        r = jobctl(["sql", "SELECT task_name, executor, cost, notes FROM "
                    "cluster_logs WHERE task_name = 'remote_slow'",
                    "--format", "jsonl"], env)
        row = json.loads(r.stdout.splitlines()[0])
        check(row["executor"] == "databricks" and
              row["notes"].startswith("TIMEDOUT"), f"cluster_logs row {row}")

        # the token is nowhere in the database or the lake
        for root, _, files in os.walk(home):
            for fn in files:
                with open(os.path.join(root, fn), "rb") as fh:
                    check(TOKEN.encode() not in fh.read(),
                          f"token found in {fn}")

        # bad token: the Databricks error code is shown
        env2 = dict(env)
        env2["DATABRICKS_TOKEN"] = "wrong-token"
        small = {"name": "bad-token", "tasks": [JOB["settings"]["tasks"][1]]}
        with open(job_path, "w") as fh:
            json.dump(small, fh)
        r = jobctl(["run", job_path, "--remote", "--json"], env2)
        check(r.returncode == 1, "bad token run should fail")
        t = json.loads(r.stdout)["tasks"][-1]
        check("UNAUTHENTICATED" in t["state"]["state_message"],
              f"bad token message: {t['state']['state_message']!r}")
        check("wrong-token" not in r.stdout + r.stderr, "bad token leaked")
        # and a second mirror did not duplicate anything
        r = jobctl(["sql", "SELECT count(*) AS n FROM cluster_logs",
                    "--format", "jsonl"], env)
        n = json.loads(r.stdout.splitlines()[0])["n"]
        check(n == n_attempts + 1, f"cluster_logs {n} != {n_attempts + 1}")

        # a second jobctl database also starts at run 1: its submits must
        # not be mistaken for the first one's (idempotency token scope)
        env3 = dict(env)
        env3["JOBCTL_HOME"] = os.path.join(tmp, "home2")
        with open(job_path, "w") as fh:
            json.dump({"name": "other-home",
                       "tasks": [JOB["settings"]["tasks"][1]]}, fh)
        r = jobctl(["run", job_path, "--remote", "--json"], env3)
        check(r.returncode == 0, f"second home run: {r.stderr[-1500:]}")
        run3 = json.loads(r.stdout)
        check(run3["run_id"] == run["run_id"], "expected the same local id")
        rid3 = run3["tasks"][-1]["x_jobctl"]["remote_run_id"]
        check(rid3 != ok["x_jobctl"]["remote_run_id"],
              "a new database got an old Databricks run back")
        print("ok")
        return 0
    finally:
        if fake:
            fake.send_signal(signal.SIGTERM)
            try:
                fake.wait(5)
            except subprocess.TimeoutExpired:
                fake.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
