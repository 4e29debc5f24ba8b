#!/bin/sh
# bench/paging/run.sh: the cost of API 2.2 array paging in `jobctl serve`:
# reading a 1000-task job (jobs/get) and a finished run of it (runs/get,
# 1000 attempts) completely, as one /api/2.1 answer (the baseline) and as
# the /api/2.2 token loop of 10 pages + appending the arrays, over one
# keep-alive connection, in the same run.
# Usage: bench/paging/run.sh [BUILD_BIN_DIR] (default build/bin); N=200
exec /usr/bin/python3 - "$@" <<'PY'
import http.client, json, os, shutil, signal, subprocess, sys, tempfile, time
import urllib.parse

BIN = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("JOBCTL_BIN_DIR", "build/bin")
JOBCTL = os.path.join(BIN, "jobctl")
N = int(os.environ.get("N", "200"))
NTASKS = 1000
tmp = tempfile.mkdtemp(prefix="jobctl-bench-paging-")
os.makedirs(os.path.join(tmp, "jobs"))
with open(os.path.join(tmp, "jobs", "wide.json"), "w") as f:
    json.dump({"name": "wide", "max_concurrent_runs": 1, "tasks": [
        {"task_key": "t%04d" % i, "command_task": {"command": ["true"]}}
        for i in range(NTASKS)]}, f)
pf = os.path.join(tmp, "port")
env = dict(os.environ, JOBCTL_HOME=os.path.join(tmp, "home"),
           JOBCTL_LOG_LEVEL="warn")
env.pop("JOBCTL_TOKEN", None)
p = subprocess.Popen([JOBCTL, "serve", "--listen", "127.0.0.1:0", "--jobs-dir",
                      os.path.join(tmp, "jobs"), "--port-file", pf], env=env,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(400):
        if os.path.exists(pf) and open(pf).read().strip():
            break
        time.sleep(0.05)
    conn = http.client.HTTPConnection("127.0.0.1", int(open(pf).read()))

    def get(path):
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise SystemExit("GET %s -> %d %s" % (path, r.status, body[:200]))
        return json.loads(body)

    def post(path, body):
        conn.request("POST", path, json.dumps(body),
                     {"Content-Type": "application/json"})
        r = conn.getresponse()
        return json.loads(r.read())

    def loop(path, arrays, inner=None):
        whole = get("/api/2.2/jobs/" + path)
        tok = whole.get("next_page_token")
        pages = 1
        while tok:
            page = get("/api/2.2/jobs/" + path + "&page_token=" +
                       urllib.parse.quote(tok))
            src = page[inner] if inner else page
            dst = whole[inner] if inner else whole
            for a in arrays:
                if a in src:
                    dst.setdefault(a, []).extend(src[a])
            tok = page.get("next_page_token")
            pages += 1
        whole.pop("next_page_token", None)
        return whole, pages

    run_id = post("/api/2.1/jobs/run-now", {"job_id": 1})["run_id"]
    deadline = time.time() + 300
    while get("/api/2.1/jobs/runs/get?run_id=%d" % run_id)["state"][
            "life_cycle_state"] != "TERMINATED":
        if time.time() > deadline:
            raise SystemExit("run did not finish")
        time.sleep(0.2)
    cases = [("jobs/get", "get?job_id=1", ("tasks", "job_clusters",
              "parameters", "environments"), "settings"),
             ("runs/get", "runs/get?run_id=%d" % run_id, ("tasks",
              "job_clusters", "job_parameters", "repair_history",
              "iterations"), None)]
    print("%-9s %5s %14s %14s %6s %6s" % ("endpoint", "tasks",
          "2.1 ms/read", "2.2 ms/read", "pages", "ratio"))
    for name, path, arrays, inner in cases:
        full = get("/api/2.1/jobs/" + path)
        whole, pages = loop(path, arrays, inner)
        if whole != full:
            raise SystemExit("%s: 2.2 loop differs from the 2.1 answer" % name)
        t0 = time.perf_counter()
        for _ in range(N):
            get("/api/2.1/jobs/" + path)
        t21 = (time.perf_counter() - t0) / N * 1000
        t0 = time.perf_counter()
        for _ in range(N):
            loop(path, arrays, inner)
        t22 = (time.perf_counter() - t0) / N * 1000
        n = len((full[inner] if inner else full)["tasks"])
        print("%-9s %5d %14.2f %14.2f %6d %5.2fx" % (name, n, t21, t22, pages,
                                                     t22 / t21))
    print("(client: python http.client, one keep-alive connection, N=%d "
          "reads each; baseline = the /api/2.1 single answer)" % N)
finally:
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
    shutil.rmtree(tmp, ignore_errors=True)
PY
