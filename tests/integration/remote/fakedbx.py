#!/usr/bin/env python3
"""fakedbx: a fake Databricks Jobs API server for jobctl's remote tests.

Implements, under /api/2.1 and /api/2.2, the documented behaviour of
jobs/runs/submit, jobs/runs/get, jobs/runs/get-output and jobs/runs/cancel
(see shared/reference/jobs-api.md sections 1.4, 2, 7) and REJECTS malformed
requests with Databricks error shapes: missing or wrong-typed fields give
400 INVALID_PARAMETER_VALUE / MALFORMED_REQUEST, a bad or missing bearer
token gives 401 UNAUTHENTICATED, unknown runs give 400 "Run N does not exist".

Scenario (a JSON file given with --scenario, re-read on every submit):
  {"tasks": {"<task_key>": {"mode": "success|fail|hang|internal_error",
                              "duration": 1.0, "setup": 0.2}},
   "faults": [{"path": "runs/submit", "status": 429, "retry_after": 2,
               "count": 1},
              {"path": "runs/get", "drop": true, "count": 1},
              {"path": "runs/get", "status": 500, "count": 1,
               "code": "INTERNAL_ERROR", "message": "Timed out after 30s"}]}
A fault with "drop" closes the connection without any response; "code"
and "message" override the error body of a status fault.

A task scenario may also give "run_tasks": N (N > 1): the run then has N
task entries, N-1 finished sibling tasks (FAILED, "fakedbx sibling") before
the submitted one, as in a big multi-task run. Like the real service, API
2.2 returns at most 100 elements of each array of runs/get plus an opaque
next_page_token (re-issue with page_token, append the arrays; a bad token
is 400 INVALID_PARAMETER_VALUE); API 2.1 refuses runs of more than 100
tasks ("Resources with more than 100 tasks can only be handled by API 2.2
and above"). "run_iterations": N gives the run N for_each iterations;
pages then carry the for_each task itself in every page's tasks and
iterations paged. jobs/get serves synthetic jobs from the scenario's
"jobs": {"<job_id>": {"name": ..., "tasks": N, "parameters": M,
"job_clusters": K}}, paged the same way inside settings. A fault
{"path": "runs/get", "stuck_page_token": true, "count": n} answers n
runs/get calls with a next_page_token that never advances.

Every request is appended to --log as one JSON line: {t, method, path,
query, body, auth_ok, status}. The chosen port is written to --port-file.
Standard library only.
"""
import argparse
import base64
import hashlib
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

LOCK = threading.Lock()
RUNS = {}          # run_id -> dict
TOKENS = {}        # idempotency token -> run_id
NEXT_ID = [1000]
FAULTS_USED = {}   # index -> count used
TASK_TYPES = ("notebook_task", "spark_python_task", "python_wheel_task",
              "spark_jar_task", "spark_submit_task", "sql_task", "dbt_task",
              "run_job_task", "pipeline_task", "condition_task",
              "for_each_task")


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def bad(msg, code="INVALID_PARAMETER_VALUE"):
    return ApiError(400, code, msg)


def load_scenario(path):
    if not path or not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def check_type(obj, key, typ, where, required=False):
    if key not in obj:
        if required:
            raise bad(f"Missing required field: {where}{key}")
        return None
    v = obj[key]
    ok = isinstance(v, typ) and not (typ is int and isinstance(v, bool))
    if not ok:
        tn = {str: "STRING", int: "INT64", dict: "OBJECT", list: "ARRAY",
              bool: "BOOL"}.get(typ, str(typ))
        raise bad(f"Invalid value for field {where}{key}: expected {tn}",
                  "MALFORMED_REQUEST")
    return v


def validate_cluster(nc, where):
    if not isinstance(nc, dict):
        raise bad(f"Invalid value for field {where}new_cluster: expected "
                  "OBJECT", "MALFORMED_REQUEST")
    check_type(nc, "spark_version", str, where + "new_cluster.", True)
    if "instance_pool_id" not in nc:
        check_type(nc, "node_type_id", str, where + "new_cluster.", True)
    check_type(nc, "num_workers", int, where + "new_cluster.")
    if "autoscale" in nc:
        a = check_type(nc, "autoscale", dict, where + "new_cluster.")
        check_type(a, "min_workers", int, where + "new_cluster.autoscale.",
                   True)
        check_type(a, "max_workers", int, where + "new_cluster.autoscale.",
                   True)
    elif "num_workers" not in nc:
        raise bad(f"Missing required field: {where}new_cluster.num_workers "
                  "or autoscale")


def validate_submit(body):
    if not isinstance(body, dict):
        raise bad("Request body must be a JSON object", "MALFORMED_REQUEST")
    check_type(body, "run_name", str, "")
    check_type(body, "timeout_seconds", int, "")
    tok = check_type(body, "idempotency_token", str, "")
    if tok is not None and len(tok) > 64:
        raise bad("idempotency_token must be at most 64 characters")
    if "job_clusters" in body:
        raise bad("job_clusters is not supported in runs/submit")
    tasks = check_type(body, "tasks", list, "", True)
    if not tasks:
        raise bad("tasks must contain at least one task")
    keys = set()
    for i, t in enumerate(tasks):
        w = f"tasks[{i}]."
        if not isinstance(t, dict):
            raise bad(f"Invalid value for field tasks[{i}]: expected OBJECT",
                      "MALFORMED_REQUEST")
        k = check_type(t, "task_key", str, w, True)
        if k in keys:
            raise bad(f"Duplicate task key: {k}")
        keys.add(k)
        if "job_cluster_key" in t:
            raise bad(f"{w}job_cluster_key is not supported in runs/submit; "
                      "use new_cluster")
        if "command_task" in t:
            raise bad(f"Unknown field {w}command_task", "MALFORMED_REQUEST")
        types = [x for x in TASK_TYPES if x in t]
        if len(types) != 1:
            raise bad(f"Task {k} must have exactly one task type")
        tt = types[0]
        spec = check_type(t, tt, dict, w, True)
        if tt == "notebook_task":
            check_type(spec, "notebook_path", str, w + tt + ".", True)
            bp = check_type(spec, "base_parameters", dict, w + tt + ".")
            for pk, pv in (bp or {}).items():
                if not isinstance(pv, str):
                    raise bad(f"Invalid value for field {w}{tt}."
                              f"base_parameters.{pk}: expected STRING",
                              "MALFORMED_REQUEST")
        if tt == "spark_python_task":
            check_type(spec, "python_file", str, w + tt + ".", True)
            ps = check_type(spec, "parameters", list, w + tt + ".")
            for p in ps or []:
                if not isinstance(p, str):
                    raise bad(f"Invalid value for field {w}{tt}.parameters: "
                              "expected STRING elements", "MALFORMED_REQUEST")
        check_type(t, "libraries", list, w)
        check_type(t, "timeout_seconds", int, w)
        has_ec = check_type(t, "existing_cluster_id", str, w) is not None
        if "new_cluster" in t:
            validate_cluster(t["new_cluster"], w)
        if not has_ec and "new_cluster" not in t and \
                "environment_key" not in t:
            raise bad(f"Task {k} needs existing_cluster_id or new_cluster")
        if "depends_on" in t:
            check_type(t, "depends_on", list, w)
    return body


def run_state(run, now):
    """Advance a run according to its scenario; returns (lc, rs, msg)."""
    t0 = run["submit_time"]
    sc = run["scenario"]
    setup = float(sc.get("setup", 0.2))
    dur = float(sc.get("duration", 0.5))
    mode = sc.get("mode", "success")
    if run.get("final"):
        return run["final"]
    if run.get("cancel_time") is not None:
        if now - run["cancel_time"] < 0.2:
            return ("TERMINATING", None, "Run cancelled")
        rs = "TIMEDOUT" if run.get("timed_out") else "CANCELED"
        run["final"] = ("TERMINATED", rs, "Run cancelled.")
        run["end_time"] = now
        return run["final"]
    tmo = run["timeout_seconds"]
    if tmo and now - t0 > tmo:
        run["timed_out"] = True
        run["cancel_time"] = now
        return ("TERMINATING", None, "Run timed out")
    if now - t0 < setup:
        return ("PENDING", None, "Waiting for cluster")
    if mode == "hang" or now - t0 < setup + dur:
        run.setdefault("exec_start", now)
        return ("RUNNING", None, "In run")
    run["end_time"] = now
    if mode == "fail":
        run["final"] = ("TERMINATED", "FAILED",
                        "Workload failed, see run output for details")
    elif mode == "internal_error":
        run["final"] = ("INTERNAL_ERROR", None, "Cluster failed to start")
    else:
        run["final"] = ("TERMINATED", "SUCCESS", "")
    return run["final"]


V2 = {"SUCCESS": "SUCCESS", "FAILED": "RUN_EXECUTION_ERROR",
      "CANCELED": "USER_CANCELED", "TIMEDOUT": "CANCELED"}


def run_json(run, now):
    lc, rs, msg = run_state(run, now)
    ms = lambda t: int(t * 1000)  # noqa: E731
    t0 = run["submit_time"]
    sc = run["scenario"]
    setup = float(sc.get("setup", 0.2))
    state = {"life_cycle_state": lc, "state_message": msg,
             "user_cancelled_or_timedout": run.get("cancel_time") is not None}
    if rs:
        state["result_state"] = rs
    status = {"state": lc if lc != "INTERNAL_ERROR" else "TERMINATED"}
    if lc in ("TERMINATED", "INTERNAL_ERROR"):
        status["termination_details"] = {
            "code": V2.get(rs, "INTERNAL_ERROR"),
            "type": "SUCCESS" if rs == "SUCCESS" else "CLIENT_ERROR",
            "message": msg}
    end = run.get("end_time")
    task = dict(run["task"])
    task.update({
        "run_id": run["task_run_id"], "attempt_number": 0,
        "state": state, "status": status,
        "start_time": ms(t0), "end_time": ms(end) if end else 0,
        "setup_duration": ms(min(setup, (end or now) - t0)),
        "execution_duration": ms(max(0.0, (end or now) - t0 - setup))
        if end else 0,
        "cleanup_duration": 100 if end else 0,
        "cluster_instance": {"cluster_id": "fake-cluster-1"},
    })
    tasks = [task]
    nt = int(sc.get("run_tasks", 1))
    if nt > 1:
        sib = []
        for i in range(nt - 1):
            sst = {"life_cycle_state": "TERMINATED", "result_state": "FAILED",
                   "state_message": "fakedbx sibling"}
            sib.append({"task_key": "%s__sib%03d" % (task["task_key"], i),
                        "run_id": run["run_id"] * 1000 + 100 + i,
                        "attempt_number": 0, "state": sst,
                        "status": {"state": "TERMINATED"},
                        "start_time": ms(t0), "end_time": ms(t0)})
        tasks = sib + tasks
    extra = {}
    ni = int(sc.get("run_iterations", 0))
    if ni:
        extra["iterations"] = [
            {"task_key": task["task_key"], "run_id": run["run_id"] * 1000 +
             5000 + i, "attempt_number": 0,
             "state": {"life_cycle_state": "TERMINATED",
                       "result_state": "SUCCESS", "state_message": ""}}
            for i in range(ni)]
    return extra | {
        "run_id": run["run_id"], "number_in_job": run["run_id"],
        "run_name": run["run_name"], "run_type": "SUBMIT_RUN",
        "creator_user_name": "tester@example.com",
        "state": state, "status": status,
        "start_time": ms(t0), "end_time": ms(end) if end else 0,
        "setup_duration": 0, "execution_duration": 0, "cleanup_duration": 0,
        "run_page_url": f"https://fake.databricks/#job/runs/{run['run_id']}",
        "tasks": tasks,
    }


PAGED = ("tasks", "job_clusters", "job_parameters", "repair_history",
         "iterations")
PAGE = 100


def page_token(rid, offs):
    raw = json.dumps({"run_id": rid, "off": offs}).encode()
    mac = hashlib.sha256(b"fakedbx" + raw).hexdigest()[:12]
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + mac


def read_token(tok, rid):
    try:
        b64, mac = tok.rsplit(".", 1)
        raw = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
        if hashlib.sha256(b"fakedbx" + raw).hexdigest()[:12] != mac:
            raise ValueError
        d = json.loads(raw)
        if d["run_id"] != rid:
            raise ValueError
        return {k: int(v) for k, v in d["off"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise bad("Invalid page token.")


def page_of(obj, rid, version, tok, inner=None):
    """API 2.2 array paging of one object (jobs-api.md 1.1); inner names
    the member holding the arrays (jobs/get: settings)."""
    arrs = obj[inner] if inner else obj
    if version == "2.1":
        if len(arrs.get("tasks", [])) > 100:
            raise bad("Resources with more than 100 tasks can only be "
                      "handled by API 2.2 and above")
        return obj
    offs = read_token(tok, rid) if tok is not None else {}
    more = False
    for k in PAGED + ("parameters", "environments"):
        if k not in arrs:
            continue
        if k == "tasks" and arrs.get("iterations"):
            continue  # a for_each run: its one task on every page
        full = arrs[k]
        o = offs.get(k, 0)
        part = full[o:o + PAGE]
        offs[k] = o + len(part)
        more = more or offs[k] < len(full)
        if tok is not None and not part:
            del arrs[k]  # exhausted: omitted from later pages
        else:
            arrs[k] = part
    if more:
        obj["next_page_token"] = page_token(rid, offs)
    return obj


def synthetic_job(job_id, spec):
    cl = {"spark_version": "15.4.x", "node_type_id": "i3.xlarge",
          "num_workers": 1}
    s = {"name": spec.get("name", "job-%d" % job_id),
         "tasks": [{"task_key": "t%03d" % i, "job_cluster_key": "c000",
                    "notebook_task": {"notebook_path": "/n%d" % i}}
                   for i in range(int(spec.get("tasks", 1)))],
         "job_clusters": [{"job_cluster_key": "c%03d" % i, "new_cluster": cl}
                          for i in range(int(spec.get("job_clusters", 1)))]}
    if spec.get("parameters"):
        s["parameters"] = [{"name": "p%03d" % i, "default": str(i)}
                           for i in range(int(spec["parameters"]))]
    return {"job_id": job_id, "creator_user_name": "tester@example.com",
            "created_time": 1700000000000, "settings": s}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakedbx/1.0"

    def log_message(self, fmt, *args):  # quiet
        pass

    def record(self, status, body=None, query=None, auth_ok=True, note=None):
        rec = {"t": time.time(), "method": self.command,
               "path": urlparse(self.path).path, "query": query or {},
               "body": body, "auth_ok": auth_ok, "status": status}
        if note:
            rec["note"] = note
        with LOCK:
            with open(self.server.log_path, "a") as f:
                f.write(json.dumps(rec) + "\n")

    def send_json(self, status, obj, extra=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def fault_for(self, short):
        sc = load_scenario(self.server.scenario_path)
        for i, f in enumerate(sc.get("faults", [])):
            if f.get("path") != short:
                continue
            with LOCK:
                used = FAULTS_USED.get(i, 0)
                if used >= int(f.get("count", 1)):
                    continue
                FAULTS_USED[i] = used + 1
            return f
        return None

    def handle_any(self):
        u = urlparse(self.path)
        query = {k: v[-1] for k, v in parse_qs(u.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = None
        parts = u.path.split("/")
        # /api/<ver>/jobs/runs/<op>
        if len(parts) < 5 or parts[1] != "api" or \
                parts[2] not in ("2.1", "2.2"):
            self.record(404, None, query)
            return self.send_json(404, {"error_code": "ENDPOINT_NOT_FOUND",
                                        "message": f"No API found for "
                                        f"'{self.command} {u.path}'"})
        self.version = parts[2]
        short = "/".join(parts[3:])
        if short.startswith("jobs/"):
            short = short[5:]
        tok = self.server.token
        auth = self.headers.get("Authorization", "")
        if auth != f"Bearer {tok}":
            self.record(401, None, query, auth_ok=False)
            return self.send_json(401, {"error_code": "UNAUTHENTICATED",
                                        "message": "Invalid access token."})
        fault = self.fault_for(short)
        self.stuck = bool(fault and fault.get("stuck_page_token"))
        if fault and fault.get("drop"):
            self.record(0, None, query, note="dropped")
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return None
        if fault and fault.get("status"):
            st = int(fault["status"])
            extra = {}
            if "retry_after" in fault:
                extra["Retry-After"] = str(fault["retry_after"])
            self.record(st, None, query, note="fault")
            code = {429: "REQUEST_LIMIT_EXCEEDED",
                    503: "TEMPORARILY_UNAVAILABLE"}.get(st, "INTERNAL_ERROR")
            return self.send_json(st, {"error_code": fault.get("code", code),
                                       "message": fault.get(
                                           "message", "injected fault")},
                                  extra)
        try:
            if self.command == "POST":
                if self.headers.get("Content-Type", "").split(";")[0] \
                        != "application/json":
                    raise bad("Content-Type must be application/json",
                              "MALFORMED_REQUEST")
                try:
                    body = json.loads(raw.decode() or "null")
                except ValueError:
                    raise bad("Malformed JSON request body",
                              "MALFORMED_REQUEST")
            elif raw:
                raise bad("GET requests take no body", "MALFORMED_REQUEST")
            status, resp = self.dispatch(short, query, body)
        except ApiError as e:
            self.record(e.status, body, query, note=e.code)
            return self.send_json(e.status, {"error_code": e.code,
                                             "message": e.message})
        self.record(status, body, query)
        return self.send_json(status, resp)

    do_GET = handle_any
    do_POST = handle_any

    def need_run_id(self, src, where):
        if "run_id" not in src:
            raise bad("Missing required field: run_id")
        v = src["run_id"]
        if where == "query":
            try:
                v = int(v)
            except ValueError:
                raise bad(f"Invalid value for field run_id: '{v}' is not an "
                          "integer", "MALFORMED_REQUEST")
        elif not isinstance(v, int) or isinstance(v, bool):
            raise bad("Invalid value for field run_id: expected INT64",
                      "MALFORMED_REQUEST")
        return v

    def find_run(self, rid):
        with LOCK:
            run = RUNS.get(rid)
            if run is None:
                for r in RUNS.values():
                    if r["task_run_id"] == rid:
                        return r, True
                raise bad(f"Run {rid} does not exist.")
            return run, False

    def dispatch(self, short, q, body):
        now = time.time()
        if short == "runs/submit" and self.command == "POST":
            validate_submit(body)
            sc = load_scenario(self.server.scenario_path)
            with LOCK:
                tok = body.get("idempotency_token")
                if tok and tok in TOKENS:
                    return 200, {"run_id": TOKENS[tok]}
                rid = NEXT_ID[0]
                NEXT_ID[0] += 2
                task = body["tasks"][0]
                RUNS[rid] = {
                    "run_id": rid, "task_run_id": rid + 1,
                    "run_name": body.get("run_name", "Untitled"),
                    "submit_time": now, "task": task,
                    "ntasks": len(body["tasks"]),
                    "timeout_seconds": body.get("timeout_seconds", 0) or
                    task.get("timeout_seconds", 0),
                    "scenario": sc.get("tasks", {}).get(task["task_key"], {}),
                    "token": tok,
                }
                if tok:
                    TOKENS[tok] = rid
            return 200, {"run_id": rid}
        if short == "runs/get" and self.command == "GET":
            rid = self.need_run_id(q, "query")
            run, _ = self.find_run(rid)
            with LOCK:
                obj = run_json(run, now)
            if self.stuck:
                obj = page_of(obj, rid, self.version, None)
                obj["next_page_token"] = "stuck"
                return 200, obj
            return 200, page_of(obj, rid, self.version,
                                q.get("page_token"))
        if short == "get" and self.command == "GET":
            if "job_id" not in q:
                raise bad("Missing required field: job_id")
            try:
                jid = int(q["job_id"])
            except ValueError:
                raise bad("Invalid value for field job_id", "MALFORMED_REQUEST")
            spec = load_scenario(self.server.scenario_path).get(
                "jobs", {}).get(str(jid))
            if spec is None:
                raise bad(f"Job {jid} does not exist.")
            return 200, page_of(synthetic_job(jid, spec), -jid, self.version,
                                q.get("page_token"), "settings")
        if short == "runs/get-output" and self.command == "GET":
            rid = self.need_run_id(q, "query")
            run, is_task = self.find_run(rid)
            if not is_task and run["ntasks"] > 1:
                raise bad("Retrieving the output of runs with multiple tasks "
                          "is not supported. Please retrieve the output of "
                          "each individual task run instead.")
            with LOCK:
                meta = run_json(run, now)
            lc = meta["state"]["life_cycle_state"]
            rs = meta["state"].get("result_state")
            out = {"metadata": meta}
            key = run["task"]["task_key"]
            if rs == "SUCCESS":
                if "notebook_task" in run["task"]:
                    out["notebook_output"] = {"result": f"ok from {key}",
                                              "truncated": False}
                else:
                    out["logs"] = f"hello from {key}\n"
                    out["logs_truncated"] = False
            elif rs == "FAILED":
                out["error"] = "ZeroDivisionError: division by zero"
                out["error_trace"] = (
                    "Traceback (most recent call last):\n"
                    f"  File \"{key}.py\", line 3, in <module>\n"
                    "ZeroDivisionError: division by zero")
            elif lc == "INTERNAL_ERROR":
                out["error"] = "Cluster failed to start"
            return 200, out
        if short == "runs/cancel" and self.command == "POST":
            if not isinstance(body, dict):
                raise bad("Request body must be a JSON object",
                          "MALFORMED_REQUEST")
            rid = self.need_run_id(body, "body")
            run, _ = self.find_run(rid)
            with LOCK:
                if not run.get("final") and run.get("cancel_time") is None:
                    run["cancel_time"] = now
            return 200, {}
        raise ApiError(404, "ENDPOINT_NOT_FOUND",
                       f"No API found for '{self.command} /api/.../{short}'")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--token", default="dapi-test-token")
    ap.add_argument("--scenario")
    a = ap.parse_args()
    ThreadingHTTPServer.request_queue_size = 256  # many clients at once
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.token = a.token
    srv.log_path = a.log
    srv.scenario_path = a.scenario
    open(a.log, "a").close()
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(tmp, a.port_file)
    parent = os.getppid()

    def watchdog():
        # exit with the test that started us, even if it was killed
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)
    threading.Thread(target=watchdog, daemon=True).start()
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
