#!/bin/sh
# bench/api/run.sh: `jobctl serve` under wrk (200 connections) on
# runs/list?limit=25 with 10,000 runs in the store and on /healthz, next
# to nginx (nginx-light, 1 worker, run as our own process on a loopback
# port) serving static files of the same sizes, in the same run.
# Usage: bench/api/run.sh [BUILD_BIN_DIR] (default build/bin); DURATION=10
exec /usr/bin/python3 - "$@" <<'PY'
import json, os, re, shutil, signal, sqlite3, subprocess, sys, tempfile, time
import urllib.request

BIN = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("JOBCTL_BIN_DIR", "build/bin")
JOBCTL = os.path.join(BIN, "jobctl")
DUR = os.environ.get("DURATION", "10")
CONNS = 200
NRUNS = 10000
tmp = tempfile.mkdtemp(prefix="jobctl-bench-api-")
procs = []


def start_daemon():
    pf = os.path.join(tmp, "port")
    if os.path.exists(pf):
        os.unlink(pf)
    env = dict(os.environ, JOBCTL_HOME=os.path.join(tmp, "home"),
               JOBCTL_LOG_LEVEL="warn")
    env.pop("JOBCTL_TOKEN", None)
    p = subprocess.Popen([JOBCTL, "serve", "--listen", "127.0.0.1:0",
                          "--jobs-dir", os.path.join(tmp, "nojobs"),
                          "--port-file", pf], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    for _ in range(400):
        if os.path.exists(pf) and open(pf).read().strip():
            return p, int(open(pf).read())
        time.sleep(0.05)
    raise SystemExit("jobctl serve did not start")


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)
    procs.remove(p)


def fill_store():
    """10,000 finished runs (2 attempts each) written straight into the
    daemon's SQLite schema while it is stopped."""
    db = sqlite3.connect(os.path.join(tmp, "home", "jobctl.db"))
    now = int(time.time() * 1000)
    db.execute("INSERT INTO jobs (job_id, name, settings_json, created_ms, "
               "updated_ms) VALUES (1, 'bench', ?, ?, ?)",
               (json.dumps({"name": "bench", "tasks": [
                   {"task_key": "a", "command_task": {"command": ["true"]}},
                   {"task_key": "b", "depends_on": [{"task_key": "a"}],
                    "command_task": {"command": ["true"]}}]}), now, now))
    runs, trs = [], []
    for i in range(1, NRUNS + 1):
        st = now - (NRUNS - i) * 60000
        runs.append((i, 1, "bench", "JOB_RUN", "PERIODIC", "TERMINATED",
                     "SUCCESS", "2 task(s) succeeded", st, st + 1500))
        for k, key in enumerate(("a", "b")):
            trs.append((i, key, 0, "TERMINATED", "SUCCESS", st + k * 700,
                        st + k * 700 + 600, 0, "local"))
    db.executemany("INSERT INTO runs (run_id, job_id, run_name, run_type, "
                   "trigger, life_cycle_state, result_state, state_message, "
                   "start_ms, end_ms) VALUES (?,?,?,?,?,?,?,?,?,?)", runs)
    db.executemany("INSERT INTO task_runs (run_id, task_key, attempt_number, "
                   "life_cycle_state, result_state, start_ms, end_ms, "
                   "exit_code, executor) VALUES (?,?,?,?,?,?,?,?,?)", trs)
    db.commit()
    db.close()


def wrk(url):
    out = subprocess.run(["wrk", "-t2", "-c%d" % CONNS, "-d%ss" % DUR,
                          "--latency", url], capture_output=True, text=True,
                         timeout=int(DUR) + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return rps, p99, (errs.group(1) if errs else "0"), (sock.group(1) if sock else "")


try:
    os.makedirs(os.path.join(tmp, "nojobs"))
    p, port = start_daemon()
    stop(p)
    fill_store()
    p, port = start_daemon()
    base = "http://127.0.0.1:%d" % port
    list_url = base + "/api/2.1/jobs/runs/list?limit=25"
    list_body = urllib.request.urlopen(list_url).read()
    health_body = urllib.request.urlopen(base + "/healthz").read()
    assert len(json.loads(list_body)["runs"]) == 25

    www = os.path.join(tmp, "www")
    os.makedirs(www)
    open(os.path.join(www, "list.json"), "wb").write(list_body)
    open(os.path.join(www, "healthz"), "wb").write(health_body)
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    nport = s.getsockname()[1]
    s.close()
    conf = os.path.join(tmp, "nginx.conf")
    open(conf, "w").write("""
worker_processes 1;
pid %(t)s/nginx.pid;
error_log %(t)s/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %(t)s/cb; proxy_temp_path %(t)s/pt;
  fastcgi_temp_path %(t)s/ft; uwsgi_temp_path %(t)s/ut; scgi_temp_path %(t)s/st;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:%(p)d;
    location / { root %(t)s/www; default_type application/json; }
  }
}
""" % {"t": tmp, "p": nport})
    ng = subprocess.Popen(["nginx", "-p", tmp, "-c", conf, "-g", "daemon off;"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(ng)
    nbase = "http://127.0.0.1:%d" % nport
    for _ in range(100):
        try:
            urllib.request.urlopen(nbase + "/healthz").read()
            break
        except OSError:
            time.sleep(0.05)

    rows = []
    for name, ju, nu, size in (
            ("runs/list?limit=25", list_url, nbase + "/list.json", len(list_body)),
            ("/healthz", base + "/healthz", nbase + "/healthz", len(health_body))):
        j = wrk(ju)
        n = wrk(nu)
        rows.append((name, size, j, n))
    print("jobctl serve vs nginx (static file of the same size), wrk -t2 -c%d -d%ss, "
          "%d runs in the store" % (CONNS, DUR, NRUNS))
    print("%-20s %7s %12s %10s %12s %10s %9s" % ("endpoint", "bytes", "jobctl req/s",
          "jobctl p99", "nginx req/s", "nginx p99", "rps ratio"))
    for name, size, j, n in rows:
        print("%-20s %7d %12.0f %8.2fms %12.0f %8.2fms %9.2f" %
              (name, size, j[0], j[1], n[0], n[1], j[0] / n[0]))
        if j[2] != "0" or j[3]:
            print("  jobctl non-2xx: %s socket errors: %s" % (j[2], j[3] or "none"))
finally:
    for p in list(procs):
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
    shutil.rmtree(tmp, ignore_errors=True)
PY
