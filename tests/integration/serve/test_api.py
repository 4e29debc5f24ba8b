"""test_api: every Jobs API endpoint of `jobctl serve` over real HTTP on
loopback: success and error shapes, pagination (last page has no
next_page_token), idempotency tokens, a run visible right after run-now,
repair, cancel, get-output, submit, 2.1 and 2.2 prefixes, healthz,
metrics and the databricks-config probe; runs started by the daemon get
cost accounting (task_runs.cost > 0) and are mirrored into the Delta table
cluster_logs (one row per attempt)."""
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import Daemon, check, cmd_job, main, wait_for  # noqa: E402


def err(d, method, endpoint, body=None, status=400, code=None, msg=None):
    st, j, _ = d.request(method, "/api/2.1/jobs/" + endpoint, body)
    check(st == status, "%s %s: status %d %r, wanted %d" %
          (method, endpoint, st, j, status))
    check(isinstance(j, dict) and "error_code" in j and "message" in j,
          "%s %s: not an error shape: %r" % (method, endpoint, j))
    if code:
        check(j["error_code"] == code, "%s: error_code %s, wanted %s" %
              (endpoint, j["error_code"], code))
    if msg:
        check(msg in j["message"], "%s: message %r lacks %r" %
              (endpoint, j["message"], msg))
    return j


def test_jobs(d):
    settings = cmd_job("api-job", [("a", ["true"], []), ("b", ["true"], ["a"])],
                       parameters=[{"name": "p", "default": "x"}])
    job_id = d.create_job(settings)
    check(job_id > 0, "create returns a job_id")
    j = d.api("GET", "get?job_id=%d" % job_id)
    check(j["job_id"] == job_id and j["settings"]["name"] == "api-job",
          "get returns the job")
    check([t["task_key"] for t in j["settings"]["tasks"]] == ["a", "b"],
          "get has the tasks")
    # 2.2 prefix works and defaults queue.enabled to true on create
    st, j22, _ = d.request("POST", "/api/2.2/jobs/create",
                           cmd_job("api-job-22", [("a", ["true"], [])]))
    check(st == 200, "2.2 create")
    st, g, _ = d.request("GET", "/api/2.2/jobs/get?job_id=%d" % j22["job_id"])
    check(g["settings"]["queue"]["enabled"] is True, "2.2 queue default")
    # missing / bad job
    err(d, "GET", "get?job_id=999999", code="INVALID_PARAMETER_VALUE",
        msg="Job 999999 does not exist.")
    err(d, "GET", "get", code="INVALID_PARAMETER_VALUE")
    err(d, "GET", "get?job_id=abc", code="INVALID_PARAMETER_VALUE")
    # invalid settings are refused with a message
    err(d, "POST", "create", cmd_job("bad", [("a", ["true"], ["nope"])]),
        code="INVALID_PARAMETER_VALUE", msg="nope")
    # update: merge tasks by key, remove a task
    d.api("POST", "update", {"job_id": job_id, "new_settings": {
        "tasks": [{"task_key": "c", "depends_on": [{"task_key": "a"}],
                   "command_task": {"command": ["true"]}}]},
        "fields_to_remove": ["tasks/b"]})
    keys = [t["task_key"] for t in
            d.api("GET", "get?job_id=%d" % job_id)["settings"]["tasks"]]
    check(keys == ["a", "c"], "update merged tasks by key: %r" % keys)
    # reset: full replacement
    d.api("POST", "reset", {"job_id": job_id, "new_settings": settings})
    keys = [t["task_key"] for t in
            d.api("GET", "get?job_id=%d" % job_id)["settings"]["tasks"]]
    check(keys == ["a", "b"], "reset replaced settings: %r" % keys)
    err(d, "POST", "reset", {"job_id": 424242, "new_settings": settings},
        msg="Job 424242 does not exist.")
    err(d, "POST", "reset", {"job_id": job_id}, code="INVALID_PARAMETER_VALUE")
    # list with pagination
    for i in range(5):
        d.create_job(cmd_job("page-%d" % i, [("a", ["true"], [])]))
    seen = []
    token = None
    pages = 0
    while True:
        q = "list?limit=2" + ("&page_token=" + token if token else "")
        page = d.api("GET", q)
        pages += 1
        seen += [j["job_id"] for j in page.get("jobs", [])]
        check(all("tasks" not in j["settings"] for j in page.get("jobs", [])),
              "list without expand_tasks has no tasks")
        token = page.get("next_page_token")
        if not token:
            check(page["has_more"] is False, "last page has_more false")
            break
        check(page["has_more"] is True, "has_more with next token")
    check(len(seen) == len(set(seen)) == 7, "list pages cover all jobs: %r" % seen)
    check(pages == 4, "7 jobs in pages of 2 = 4 pages, got %d" % pages)
    byname = d.api("GET", "list?name=API-JOB")
    check([j["job_id"] for j in byname["jobs"]] == [job_id],
          "name filter is exact and case-insensitive")
    err(d, "GET", "list?limit=101", code="INVALID_PARAMETER_VALUE")
    # delete
    gone = d.create_job(cmd_job("gone", [("a", ["true"], [])]))
    check(d.api("POST", "delete", {"job_id": gone}) == {}, "delete returns {}")
    err(d, "GET", "get?job_id=%d" % gone, msg="does not exist")
    err(d, "POST", "delete", {"job_id": gone}, msg="does not exist")
    return job_id


def test_runs(d, job_id):
    # run visible immediately, parameters, idempotency
    run_id = d.run_now(job_id, job_parameters={"p": "y"},
                       idempotency_token="tok-1")
    r = d.get_run(run_id)
    check(r["run_id"] == run_id and r["job_id"] == job_id,
          "run visible right after run-now")
    check(r["state"]["life_cycle_state"] in
          ("PENDING", "RUNNING", "QUEUED", "TERMINATED"), "state present")
    again = d.api("POST", "run-now", {"job_id": job_id,
                                      "idempotency_token": "tok-1"})
    check(again["run_id"] == run_id, "idempotency token returns same run")
    r = d.wait_run(run_id)
    check(r["state"]["result_state"] == "SUCCESS", "run succeeded: %r" % r["state"])
    check(r["status"]["state"] == "TERMINATED", "v2 status")
    check({t["task_key"] for t in r["tasks"]} == {"a", "b"}, "tasks listed")
    check(all("attempt_number" in t and "run_id" in t for t in r["tasks"]),
          "tasks carry attempt_number and run_id")
    params = {p["name"]: p.get("value") for p in r.get("job_parameters", [])}
    check(params.get("p") == "y", "job parameter override recorded: %r" %
          r.get("job_parameters"))
    check(d.api("POST", "run-now", {"job_id": job_id,
                                    "idempotency_token": "tok-1"})["run_id"]
          == run_id, "idempotent after completion")
    err(d, "POST", "run-now", {"job_id": 777777}, msg="Job 777777 does not exist.")
    err(d, "POST", "run-now", {}, code="INVALID_PARAMETER_VALUE")
    err(d, "POST", "run-now", {"job_id": job_id, "idempotency_token": "x" * 65})
    err(d, "GET", "runs/get?run_id=888888", code="INVALID_PARAMETER_VALUE",
        msg="Run 888888 does not exist.")

    # get-output of a task run: logs
    ojob = d.create_job(cmd_job("output", [("only", ["echo", "hello-output"], [])]))
    orun = d.run_now(ojob)
    orr = d.wait_run(orun)
    task_run = orr["tasks"][0]["run_id"]
    out = d.api("GET", "runs/get-output?run_id=%d" % task_run)
    check("hello-output" in out.get("logs", ""), "get-output logs: %r" % out)
    check(out["metadata"]["task_key"] == "only", "get-output metadata")
    err(d, "GET", "runs/get-output?run_id=999999", msg="does not exist")

    # failing task, then repair with rerun_tasks / latest_repair_id
    flag = os.path.join(d.tmp, "flag")
    fjob = d.create_job(cmd_job("flaky", [
        ("first", ["true"], []),
        ("second", ["sh", "-c", "test -e '%s'" % flag], ["first"]),
        ("third", ["true"], ["second"])]))
    frun = d.run_now(fjob)
    fr = d.wait_run(frun)
    check(fr["state"]["result_state"] == "FAILED", "flaky run failed: %r" %
          fr["state"])
    err(d, "POST", "runs/repair", {"run_id": frun,
                                   "rerun_tasks": ["second", "second"]},
        msg="duplicate")
    err(d, "POST", "runs/repair", {"run_id": 999999, "rerun_all_failed_tasks":
                                   True}, msg="does not exist")
    open(flag, "w").close()
    rep = d.api("POST", "runs/repair", {"run_id": frun,
                                        "rerun_all_failed_tasks": True})
    check(rep["repair_id"] > 0, "repair_id returned")
    fr = d.wait_run(frun)
    check(fr["state"]["result_state"] == "SUCCESS", "repaired run succeeds: %r"
          % fr["state"])
    h = d.get_run(frun, history=True)["repair_history"]
    check(h[0]["type"] == "ORIGINAL" and any(e["type"] == "REPAIR" for e in h),
          "repair_history has ORIGINAL and REPAIR: %r" % h)
    # a second repair needs latest_repair_id
    err(d, "POST", "runs/repair", {"run_id": frun, "rerun_tasks": ["third"]},
        msg="latest_repair_id")
    rep2 = d.api("POST", "runs/repair", {"run_id": frun, "rerun_tasks": ["third"],
                                         "latest_repair_id": rep["repair_id"]})
    check(rep2["repair_id"] != rep["repair_id"], "second repair id differs")
    d.wait_run(frun)

    # cancel a long run
    sjob = d.create_job(cmd_job("sleeper", [("s", ["sleep", "30"], [])]))
    srun = d.run_now(sjob)
    wait_for(lambda: d.get_run(srun)["state"]["life_cycle_state"] == "RUNNING",
             what="sleeper running")
    err(d, "POST", "runs/repair", {"run_id": srun, "rerun_all_failed_tasks": True},
        code="INVALID_STATE")
    err(d, "POST", "runs/delete", {"run_id": srun}, code="INVALID_STATE")
    check(d.api("POST", "runs/cancel", {"run_id": srun}) == {}, "cancel {}")
    sr = d.wait_run(srun, timeout=30)
    check(sr["state"]["result_state"] == "CANCELED", "canceled: %r" % sr["state"])
    err(d, "POST", "runs/cancel", {"run_id": 999999}, msg="does not exist")

    # cancel-all
    r1 = d.run_now(sjob)
    d.api("POST", "runs/cancel-all", {"job_id": sjob})
    check(d.wait_run(r1, timeout=30)["state"]["result_state"] == "CANCELED",
          "cancel-all canceled the run")
    err(d, "POST", "runs/cancel-all", {}, code="INVALID_PARAMETER_VALUE")
    err(d, "POST", "runs/cancel-all", {"job_id": 999999}, msg="does not exist")

    # submit (one-time run)
    sub = d.api("POST", "runs/submit", {
        "run_name": "one-off", "idempotency_token": "sub-1",
        "tasks": [{"task_key": "x", "command_task": {"command": ["true"]}}]})
    check(d.api("POST", "runs/submit", {
        "run_name": "one-off", "idempotency_token": "sub-1",
        "tasks": [{"task_key": "x", "command_task": {"command": ["true"]}}]}
    )["run_id"] == sub["run_id"], "submit idempotency")
    sr = d.wait_run(sub["run_id"])
    check(sr["run_type"] == "SUBMIT_RUN" and
          sr["state"]["result_state"] == "SUCCESS", "submit run: %r" % sr)
    err(d, "POST", "runs/submit", {"run_name": "empty"},
        code="INVALID_PARAMETER_VALUE")

    # delete a finished run
    check(d.api("POST", "runs/delete", {"run_id": orun}) == {}, "runs/delete")
    err(d, "GET", "runs/get?run_id=%d" % orun, msg="does not exist")
    return run_id


def test_runs_list(d, job_id):
    for _ in range(6):
        d.wait_run(d.run_now(job_id))
    all_runs = []
    token = None
    while True:
        q = "runs/list?job_id=%d&limit=4" % job_id
        if token:
            q += "&page_token=" + token
        page = d.api("GET", q)
        runs = page.get("runs", [])
        all_runs += [r["run_id"] for r in runs]
        check(all(r["job_id"] == job_id for r in runs), "job_id filter")
        token = page.get("next_page_token")
        if not token:
            check("next_page_token" not in page, "last page: no token")
            check(page["has_more"] is False, "last page has_more false")
            break
    check(len(all_runs) == len(set(all_runs)) >= 7, "pages cover all runs")
    check(all_runs == sorted(all_runs, reverse=True), "newest first")
    done = d.api("GET", "runs/list?completed_only=true&limit=25")
    check(all(r["state"]["life_cycle_state"] == "TERMINATED"
              for r in done.get("runs", [])), "completed_only")
    act = d.api("GET", "runs/list?active_only=true&limit=25")
    check("runs" not in act or all(
        r["state"]["life_cycle_state"] != "TERMINATED" for r in act["runs"]),
        "active_only")
    sub = d.api("GET", "runs/list?run_type=SUBMIT_RUN&limit=25")
    check(sub.get("runs") and all(r["run_type"] == "SUBMIT_RUN"
                                  for r in sub["runs"]), "run_type filter")
    err(d, "GET", "runs/list?limit=26", code="INVALID_PARAMETER_VALUE")
    err(d, "GET", "runs/list?limit=0", code="INVALID_PARAMETER_VALUE")
    err(d, "GET", "runs/list?active_only=true&completed_only=true",
        code="INVALID_PARAMETER_VALUE")
    err(d, "GET", "runs/list?page_token=zz", code="INVALID_PARAMETER_VALUE")
    # unknown endpoint, wrong method
    err(d, "GET", "runs/nope", status=404, code="ENDPOINT_NOT_FOUND")
    err(d, "GET", "run-now", status=405)


def test_misc(d):
    st, j, _ = d.request("GET", "/healthz", token=None)
    check(st == 200 and j["status"] == "ok", "healthz")
    st, j, _ = d.request("GET", "/.well-known/databricks-config")
    check(st == 404, "databricks-config probe is 404")
    st, text, h = d.request("GET", "/metrics")
    check(st == 200 and "jobctl_runs{" in text and
          "jobctl_task_duration_seconds_bucket" in text and
          "jobctl_queue_length" in text and "jobctl_scheduler_lag_seconds" in text,
          "metrics text: %r" % text[:300])
    st, j, _ = d.request("POST", "/api/2.1/jobs/create", raw=b"{not json")
    check(st == 400 and j["error_code"] == "MALFORMED_REQUEST", "bad JSON 400")
    st, j, _ = d.request("POST", "/api/2.1/jobs/run-now", raw=b"[1,2]")
    check(st == 400 and j["error_code"] == "MALFORMED_REQUEST", "array body 400")


def test_auth():
    d = Daemon(token="s3cret-token").start()
    try:
        st, j, h = d.request("GET", "/api/2.1/jobs/list", token=None)
        check(st == 401 and j["error_code"] == "UNAUTHENTICATED",
              "no token -> 401: %d %r" % (st, j))
        st, j, _ = d.request("GET", "/api/2.1/jobs/list", token="wrong")
        check(st == 403 and j["error_code"] == "PERMISSION_DENIED",
              "wrong token -> 403")
        check("s3cret" not in str(j), "error text does not echo the token")
        st, j, _ = d.request("GET", "/api/2.1/jobs/list")
        check(st == 200, "right token -> 200")
        st, j, _ = d.request("GET", "/metrics", token=None)
        check(st == 401, "metrics need the token")
        st, j, _ = d.request("GET", "/healthz", token=None)
        check(st == 200, "healthz is open")
        job = d.create_job(cmd_job("ci", [("a", ["true"], [])]))
        st, j, _ = d.request("POST", "/api/2.1/jobs/run-now", {"job_id": job},
                             token=None)
        check(st == 401, "run-now without token refused")
        run = d.run_now(job)
        check(d.wait_run(run)["state"]["result_state"] == "SUCCESS",
              "run-now with token (CI trigger)")
        log = d.read_log()
        check("s3cret-token" not in log, "token not in daemon log")
    finally:
        d.stop()
        d.cleanup()


def sql_csv(d, query):
    env = dict(os.environ)
    env["JOBCTL_HOME"] = d.home
    p = subprocess.run([os.path.join(os.environ.get("JOBCTL_BIN_DIR", "build/bin"),
                                     "jobctl"), "sql", query, "--format", "csv"],
                       env=env, cwd=d.tmp, capture_output=True, text=True,
                       timeout=60)
    check(p.returncode == 0, "jobctl sql %r: rc %d %s" % (query, p.returncode,
                                                          p.stderr))
    return [line for line in p.stdout.splitlines() if line.strip()]


def test_accounting(d):
    # a local job run by the daemon: cost per attempt, mirrored to Delta
    burn = [sys.executable, "-c", "print(sum(i * i for i in range(300000)))"]
    job_id = d.create_job(cmd_job("acct", [("x", burn, []), ("y", burn, ["x"])]))
    run_id = d.run_now(job_id)
    r = d.wait_run(run_id)
    check(r["state"]["result_state"] == "SUCCESS",
          "accounting run succeeded: %r" % r["state"])
    db = sqlite3.connect(os.path.join(d.home, "jobctl.db"), timeout=5)
    try:
        rows = db.execute("SELECT task_run_id, cost FROM task_runs "
                          "WHERE run_id = ?", (run_id,)).fetchall()
    finally:
        db.close()
    check(len(rows) == 2, "two attempts recorded: %r" % rows)
    check(all(c > 0 for _, c in rows),
          "daemon run attempts have a cost > 0: %r" % rows)
    lake = os.path.join(d.home, "lake", "cluster_logs")

    def mirrored():
        if not os.path.isdir(os.path.join(lake, "_delta_log")):
            return None
        out = sql_csv(d, "SELECT COUNT(*) FROM cluster_logs WHERE run_id = %d"
                      % run_id)
        return out[-1] == str(len(rows)) and out
    wait_for(mirrored, timeout=30, what="cluster_logs rows of run %d" % run_id,
             step=0.2)
    out = sql_csv(d, "SELECT task_run_id FROM cluster_logs WHERE run_id = %d "
                  "ORDER BY task_run_id" % run_id)
    check(out[1:] == [str(t) for t, _ in sorted(rows)],
          "one cluster_logs row per attempt: %r" % out)


def run():
    d = Daemon().start()
    try:
        job_id = test_jobs(d)
        test_runs(d, job_id)
        test_runs_list(d, job_id)
        test_misc(d)
        test_accounting(d)
        rc = d.stop()
        check(rc == 0, "SIGTERM exits cleanly (rc %r)" % rc)
    finally:
        d.cleanup()
    test_auth()


if __name__ == "__main__":
    main(run)
