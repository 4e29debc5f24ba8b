#!/usr/bin/env python3
"""The fake Databricks server is only useful if it is as strict as the real
API: this checks that it rejects malformed requests with Databricks error
shapes (missing fields, wrong types, bad or missing token, unknown runs,
job_cluster_key in runs/submit, a body on GET) and implements submit ->
get -> get-output -> cancel, including idempotency tokens."""
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

SRC = os.environ.get("JOBCTL_SOURCE_DIR", ".")
FAKE = os.path.join(SRC, "tests", "integration", "remote", "fakedbx.py")
TOKEN = "dapi-fake-selftest"


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def call(base, method, path, body=None, token=TOKEN, raw=None):
    data = raw if raw is not None else (
        json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def expect_error(res, status, code, what):
    st, body = res
    if st != status or body.get("error_code") != code or \
            not isinstance(body.get("message"), str):
        fail(f"{what}: got {st} {body}, want {status} {code}")


CLUSTER = {"spark_version": "15.4.x", "node_type_id": "i3.xlarge",
           "num_workers": 1}


def task(**kw):
    t = {"task_key": "t", "new_cluster": CLUSTER,
         "notebook_task": {"notebook_path": "/x"}}
    t.update(kw)
    return t


def main():
    tmp = tempfile.mkdtemp(prefix="jobctl-fakedbx-")
    pf = os.path.join(tmp, "port")
    sc = os.path.join(tmp, "scenario.json")
    with open(sc, "w") as f:
        json.dump({"tasks": {"t": {"duration": 0.2, "setup": 0.1},
                             "h": {"mode": "hang"}}}, f)
    p = subprocess.Popen([sys.executable, FAKE, "--port-file", pf, "--log",
                          os.path.join(tmp, "log"), "--scenario", sc,
                          "--token", TOKEN], stdout=subprocess.DEVNULL)
    try:
        deadline = time.time() + 15
        while not os.path.exists(pf):
            if time.time() > deadline:
                fail("fake did not start")
            time.sleep(0.05)
        with open(pf) as f:
            base = f"http://127.0.0.1:{f.read().strip()}/api/2.2/jobs/"
        sub = "runs/submit"
        # authentication
        expect_error(call(base, "POST", sub, {"tasks": [task()]}, token=None),
                     401, "UNAUTHENTICATED", "no token")
        expect_error(call(base, "POST", sub, {"tasks": [task()]},
                          token="nope"), 401, "UNAUTHENTICATED", "bad token")
        # malformed submits
        expect_error(call(base, "POST", sub, raw=b"{not json"), 400,
                     "MALFORMED_REQUEST", "bad JSON")
        expect_error(call(base, "POST", sub, {}), 400,
                     "INVALID_PARAMETER_VALUE", "missing tasks")
        expect_error(call(base, "POST", sub, {"tasks": "x"}), 400,
                     "MALFORMED_REQUEST", "tasks not an array")
        expect_error(call(base, "POST", sub, {"tasks": [
            {"new_cluster": CLUSTER, "notebook_task": {"notebook_path": "/x"}}
        ]}), 400, "INVALID_PARAMETER_VALUE", "missing task_key")
        expect_error(call(base, "POST", sub, {"tasks": [task(
            notebook_task={"notebook_path": 3})]}), 400, "MALFORMED_REQUEST",
            "notebook_path not a string")
        expect_error(call(base, "POST", sub, {"tasks": [task(
            notebook_task={"notebook_path": "/x",
                           "base_parameters": {"a": 1}})]}), 400,
            "MALFORMED_REQUEST", "base_parameters value not a string")
        expect_error(call(base, "POST", sub, {"tasks": [task(
            new_cluster={"spark_version": "x", "node_type_id": "y"})]}), 400,
            "INVALID_PARAMETER_VALUE", "no num_workers")
        t = task()
        del t["new_cluster"]
        expect_error(call(base, "POST", sub, {"tasks": [t]}), 400,
                     "INVALID_PARAMETER_VALUE", "no cluster")
        expect_error(call(base, "POST", sub, {"tasks": [task(
            job_cluster_key="main")]}), 400, "INVALID_PARAMETER_VALUE",
            "job_cluster_key in runs/submit")
        expect_error(call(base, "POST", sub, {"tasks": [task()],
                                              "timeout_seconds": "10"}), 400,
                     "MALFORMED_REQUEST", "timeout_seconds a string")
        expect_error(call(base, "POST", sub, {"tasks": [task()],
                                              "idempotency_token": "x" * 65}),
                     400, "INVALID_PARAMETER_VALUE", "token too long")
        # runs/get and friends
        expect_error(call(base, "GET", "runs/get"), 400,
                     "INVALID_PARAMETER_VALUE", "runs/get without run_id")
        expect_error(call(base, "GET", "runs/get?run_id=abc"), 400,
                     "MALFORMED_REQUEST", "run_id not an integer")
        expect_error(call(base, "GET", "runs/get?run_id=999999"), 400,
                     "INVALID_PARAMETER_VALUE", "unknown run")
        expect_error(call(base, "POST", "runs/cancel", {"run_id": "1"}), 400,
                     "MALFORMED_REQUEST", "cancel run_id a string")
        expect_error(call(base, "GET", "runs/frobnicate"), 404,
                     "ENDPOINT_NOT_FOUND", "unknown endpoint")

        # the happy path, with idempotency
        st, r1 = call(base, "POST", sub, {"tasks": [task()],
                                          "idempotency_token": "k1"})
        st2, r2 = call(base, "POST", sub, {"tasks": [task()],
                                           "idempotency_token": "k1"})
        if st != 200 or st2 != 200 or r1["run_id"] != r2["run_id"]:
            fail(f"idempotency: {r1} {r2}")
        rid = r1["run_id"]
        deadline = time.time() + 10
        while True:
            st, run = call(base, "GET", f"runs/get?run_id={rid}")
            lc = run["state"]["life_cycle_state"]
            if lc == "TERMINATED":
                break
            if time.time() > deadline:
                fail(f"run never terminated: {run}")
            time.sleep(0.1)
        if run["state"]["result_state"] != "SUCCESS" or \
                run["status"]["termination_details"]["code"] != "SUCCESS":
            fail(f"bad terminal state {run['state']} {run['status']}")
        tr = run["tasks"][0]["run_id"]
        st, out = call(base, "GET", f"runs/get-output?run_id={tr}")
        if st != 200 or out["notebook_output"]["result"] != "ok from t":
            fail(f"get-output: {st} {out}")
        # cancel a hanging run
        st, r = call(base, "POST", sub, {"tasks": [task(task_key="h")]})
        st, _ = call(base, "POST", "runs/cancel", {"run_id": r["run_id"]})
        if st != 200:
            fail("cancel refused")
        deadline = time.time() + 10
        while True:
            st, run = call(base, "GET", f"runs/get?run_id={r['run_id']}")
            if run["state"]["life_cycle_state"] == "TERMINATED":
                break
            if time.time() > deadline:
                fail("cancelled run never terminated")
            time.sleep(0.1)
        if run["state"]["result_state"] != "CANCELED":
            fail(f"cancel result {run['state']}")
        print("ok")
        return 0
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
