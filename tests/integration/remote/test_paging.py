#!/usr/bin/env python3
"""API 2.2 array paging on the client side: the fake Databricks server
(fakedbx.py) pages runs/get like the real service (100 elements per array
plus next_page_token; 2.1 refuses runs of more than 100 tasks), and
`jobctl run --remote` reads a 150-task remote run completely: it follows
next_page_token, so the submitted task (the 150th entry, on page 2) decides
the attempt's result and its run id is the one asked for get-output. A
client reading only page 1 would see a FAILED sibling task instead.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

BIN = os.environ.get("JOBCTL_BIN_DIR", "build/bin")
SRC = os.environ.get("JOBCTL_SOURCE_DIR", ".")
JOBCTL = os.path.join(BIN, "jobctl")
FAKE = os.path.join(SRC, "tests", "integration", "remote", "fakedbx.py")
TOKEN = "dapi-paging-secret-7"
NTASKS = 150

TASK = {"task_key": "big", "existing_cluster_id": "0101-abc",
        "notebook_task": {"notebook_path": "/Repos/me/big"}}
SCENARIO = {"tasks": {"big": {"duration": 0.3, "setup": 0.1,
                              "run_tasks": NTASKS}}}


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def call(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + TOKEN)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def requests(log):
    with open(log) as f:
        return [json.loads(line) for line in f if line.strip()]


def fake_selftest(port):
    """The fake pages like the service: 100 + 50, bad token, 2.1 refusal."""
    base = "http://127.0.0.1:%d/api/" % port
    st, j = call(base, "POST", "2.2/jobs/runs/submit",
                 {"run_name": "selftest", "tasks": [TASK]})
    check(st == 200, "submit: %d %r" % (st, j))
    rid = j["run_id"]
    st, p1 = call(base, "GET", "2.2/jobs/runs/get?run_id=%d" % rid)
    check(st == 200 and len(p1["tasks"]) == 100 and
          p1.get("next_page_token"), "fake page 1: 100 tasks + token")
    tok = urllib.parse.quote(p1["next_page_token"])
    st, p2 = call(base, "GET", "2.2/jobs/runs/get?run_id=%d&page_token=%s"
                  % (rid, tok))
    check(st == 200 and len(p2["tasks"]) == NTASKS - 100 and
          "next_page_token" not in p2, "fake page 2: the rest, no token")
    check(p2["tasks"][-1]["task_key"] == "big", "submitted task last")
    st, e = call(base, "GET", "2.2/jobs/runs/get?run_id=%d&page_token=xx"
                 % rid)
    check(st == 400 and e["error_code"] == "INVALID_PARAMETER_VALUE",
          "fake: bad token %d %r" % (st, e))
    st, e = call(base, "GET", "2.1/jobs/runs/get?run_id=%d" % rid)
    check(st == 400 and "API 2.2" in e["message"],
          "fake: 2.1 refuses > 100 tasks: %d %r" % (st, e))


def jobctl(args, env, timeout=90):
    return subprocess.run([JOBCTL] + args, env=env, capture_output=True,
                          text=True, timeout=timeout)


def main():
    tmp = tempfile.mkdtemp(prefix="jobctl-paging-")
    fake = None
    try:
        port_file = os.path.join(tmp, "port")
        log = os.path.join(tmp, "requests.jsonl")
        sc = os.path.join(tmp, "scenario.json")
        with open(sc, "w") as f:
            json.dump(SCENARIO, f)
        fake = subprocess.Popen([sys.executable, FAKE, "--port-file",
                                 port_file, "--log", log, "--scenario", sc,
                                 "--token", TOKEN], stdout=subprocess.DEVNULL)
        deadline = time.time() + 15
        while not os.path.exists(port_file):
            check(time.time() < deadline, "fake server did not start")
            time.sleep(0.05)
        with open(port_file) as f:
            port = int(f.read())
        fake_selftest(port)
        open(log, "w").close()

        home = os.path.join(tmp, "home")
        os.makedirs(home)
        job_path = os.path.join(tmp, "job.json")
        with open(job_path, "w") as f:
            json.dump({"name": "remote-big", "tasks": [TASK]}, f)
        env = dict(os.environ)
        env.update({"JOBCTL_HOME": home,
                    "DATABRICKS_HOST": "http://127.0.0.1:%d" % port,
                    "DATABRICKS_TOKEN": TOKEN,
                    "DATABRICKS_CONFIG_FILE": os.path.join(tmp, "none.cfg"),
                    "JOBCTL_DATABRICKS_POLL_S": "0.1",
                    "JOBCTL_DATABRICKS_POLL_MAX_S": "0.2",
                    "JOBCTL_DATABRICKS_RETRY_S": "0.1"})
        r = jobctl(["run", job_path, "--remote", "--json"], env)
        check(TOKEN not in r.stdout + r.stderr, "token leaked")
        check(r.returncode == 0, "remote run of a 150-task Databricks run "
              "failed (%d): %s" % (r.returncode, r.stderr[-2000:]))
        run = json.loads(r.stdout)
        t = run["tasks"][-1]
        check(t["state"].get("result_state") == "SUCCESS",
              "attempt result %r" % t["state"])
        reqs = requests(log)
        gets = [q for q in reqs if q["path"].endswith("/runs/get")]
        paged = [q for q in gets if "page_token" in q["query"]]
        check(paged, "the client never sent page_token")
        check(all(q["status"] == 200 for q in gets), "a runs/get failed")
        # every first page with a token was followed by its second page
        firsts = [q for q in gets if "page_token" not in q["query"]]
        check(len(paged) == len(firsts),
              "%d first pages, %d follow-ups" % (len(firsts), len(paged)))
        outs = [q for q in reqs if q["path"].endswith("/runs/get-output")]
        sub = next(q for q in reqs if q["path"].endswith("/runs/submit"))
        rid = int(firsts[0]["query"]["run_id"])
        check(outs and all(int(q["query"]["run_id"]) == rid + 1 and
                           q["status"] == 200 for q in outs),
              "get-output not asked for the submitted task's run: %r" %
              [q["query"] for q in outs])
        check(sub["status"] == 200, "submit failed")

        # API 2.1 cannot read such a run: the service's message is shown
        env["DATABRICKS_API_VERSION"] = "2.1"
        env["JOBCTL_HOME"] = os.path.join(tmp, "home21")
        r = jobctl(["run", job_path, "--remote", "--json"], env)
        check(r.returncode == 1, "2.1 run should fail")
        msg = json.loads(r.stdout)["tasks"][-1]["state"]["state_message"]
        check("API 2.2" in msg, "2.1 failure message: %r" % msg)
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
