#!/bin/sh
# bench/remote/run.sh: N remote tasks (default 50, each 1 s on the fake
# Databricks server tests/integration/remote/fakedbx.py) run by
# `jobctl run --remote` (curl multi on one libuv thread) next to two
# stdlib-Python baselines measured in the same run with the same poll
# schedule (0.2 s, x1.5 per poll, capped at 1 s): "sequential" = one blocking
# submit/poll/get-output loop per task, the way a shell loop over
# `databricks jobs submit` behaves; "threads" = one thread per run.
# Usage: bench/remote/run.sh [BIN_DIR] (default $JOBCTL_BIN_DIR or
# build/bin); N=50 DURATION=1
exec /usr/bin/python3 - "$@" <<'PY'
import json, os, resource, shutil, signal, subprocess, sys, tempfile
import threading, time, urllib.request

BIN = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
    "JOBCTL_BIN_DIR", "build/bin")
JOBCTL = os.path.join(BIN, "jobctl")
HERE = os.path.dirname(os.path.abspath(sys.argv[0])) if sys.argv[0] != "-" \
    else os.getcwd()
SRC = os.environ.get("JOBCTL_SOURCE_DIR", os.getcwd())
FAKE = os.path.join(SRC, "tests", "integration", "remote", "fakedbx.py")
N = int(os.environ.get("N", "50"))
DUR = float(os.environ.get("DURATION", "1"))
TOKEN = "dapi-bench"
tmp = tempfile.mkdtemp(prefix="jobctl-bench-remote-")
fake = None


def start_fake():
    pf = os.path.join(tmp, "port")
    sc = os.path.join(tmp, "scenario.json")
    with open(sc, "w") as f:
        json.dump({"tasks": {f"t{i}": {"duration": DUR, "setup": 0.2}
                             for i in range(N)}}, f)
    p = subprocess.Popen([sys.executable, FAKE, "--port-file", pf, "--log",
                          os.path.join(tmp, "req.jsonl"), "--scenario", sc,
                          "--token", TOKEN], stdout=subprocess.DEVNULL)
    t0 = time.time()
    while not os.path.exists(pf):
        if time.time() - t0 > 15:
            sys.exit("fake server did not start")
        time.sleep(0.05)
    with open(pf) as f:
        return p, f"http://127.0.0.1:{f.read().strip()}"


def task(i):
    return {"task_key": f"t{i}", "new_cluster": {
        "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
        "num_workers": 2},
        "notebook_task": {"notebook_path": f"/Repos/bench/t{i}"}}


def call(host, method, path, body=None, query=""):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{host}/api/2.2/jobs/{path}{query}",
                                 data=data, method=method)
    req.add_header("Authorization", f"Bearer {TOKEN}")
    if data:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"{}")


def one_run(host, i, tag):
    rid = call(host, "POST", "runs/submit", {
        "run_name": f"{tag}-{i}", "tasks": [task(i)],
        "idempotency_token": f"{tag}-{i}"})["run_id"]
    delay = 0.2
    while True:
        time.sleep(delay)
        delay = min(delay * 1.5, 1.0)
        run = call(host, "GET", "runs/get", query=f"?run_id={rid}")
        if run["state"]["life_cycle_state"] in ("TERMINATED", "SKIPPED",
                                                "INTERNAL_ERROR"):
            break
    call(host, "GET", "runs/get-output",
         query=f"?run_id={run['tasks'][0]['run_id']}")
    return run["state"].get("result_state")


def cpu_self():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def baseline_sequential(host):
    c0, t0 = cpu_self(), time.time()
    res = [one_run(host, i, "seq") for i in range(N)]
    assert all(r == "SUCCESS" for r in res), res
    return time.time() - t0, cpu_self() - c0


def baseline_threads(host):
    res = [None] * N
    c0, t0 = cpu_self(), time.time()

    def w(i):
        res[i] = one_run(host, i, "thr")
    ts = [threading.Thread(target=w, args=(i,)) for i in range(N)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(r == "SUCCESS" for r in res), res
    return time.time() - t0, cpu_self() - c0


def run_jobctl(host):
    home = os.path.join(tmp, "home")
    job = os.path.join(tmp, "job.json")
    with open(job, "w") as f:
        json.dump({"name": "bench-remote",
                   "tasks": [task(i) for i in range(N)]}, f)
    env = dict(os.environ, JOBCTL_HOME=home, DATABRICKS_HOST=host,
               DATABRICKS_TOKEN=TOKEN, JOBCTL_DATABRICKS_POLL_S="0.2",
               JOBCTL_DATABRICKS_POLL_MAX_S="1.0", JOBCTL_RUSAGE_SELF="1",
               JOBCTL_LOG_LEVEL="warn",
               DATABRICKS_CONFIG_FILE=os.path.join(tmp, "none"))
    t0 = time.time()
    r = subprocess.run([JOBCTL, "run", job, "--remote", "--parallel",
                        str(N)], env=env, capture_output=True, text=True)
    wall = time.time() - t0
    if r.returncode != 0:
        sys.exit(f"jobctl run failed ({r.returncode}): {r.stderr[-1500:]}")
    cpu = None
    for line in r.stderr.splitlines():
        if line.startswith("rusage_self"):
            parts = dict(kv.split("=") for kv in line.split()[1:])
            cpu = float(parts["user"]) + float(parts["sys"])
    return wall, cpu


try:
    fake, host = start_fake()
    jw, jc = run_jobctl(host)
    sw, sc = baseline_sequential(host)
    tw, tc = baseline_threads(host)
    print(f"bench/remote: {N} remote tasks x {DUR:.1f} s on the fake "
          "Databricks server (same poll schedule for all)")
    print(f"{'client':42} {'wall s':>8} {'client CPU s':>13} "
          f"{'wall vs jobctl':>15}")
    print(f"{'jobctl run --remote (curl multi + libuv)':42} {jw:8.2f} "
          f"{(jc if jc is not None else float('nan')):13.3f} {1.0:14.2f}x")
    print(f"{'baseline: sequential blocking (CLI loop)':42} {sw:8.2f} "
          f"{sc:13.3f} {sw / jw:14.2f}x")
    print(f"{'baseline: python thread per run':42} {tw:8.2f} {tc:13.3f} "
          f"{tw / jw:14.2f}x")
finally:
    if fake:
        fake.send_signal(signal.SIGTERM)
        fake.wait()
    shutil.rmtree(tmp, ignore_errors=True)
PY
