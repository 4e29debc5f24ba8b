"""test_resume: `jobctl serve` killed with SIGKILL while tasks run, then
restarted: the restart settles the orphaned runs and resumes them per the
tasks' retry policy. A task with max_retries 1 gets attempt 1 (after its
min_retry_interval_millis), which succeeds, its downstream task runs and
the run ends SUCCESS; a task with max_retries 0 stays FAILED "orphaned"
(the run is not resumed, a run.resume event says why), as does a run
whose job definition is gone and one that was being canceled; in a mixed
run the retried task succeeds, the spent one stays FAILED, an ALL_DONE
child runs and the run ends SUCCESS_WITH_FAILURES; a run that was QUEUED
behind max_concurrent_runs runs after the first one ends; the run of a
job file's job is resumed and the restart does not load the file as a
second job; a run_job_task is retried with a new child run while the
orphaned child run is left settled. The old task
processes are gone, nothing stays RUNNING, and another restart resumes
nothing twice. A run of an embedded `jobctl run` killed the same way is
settled but not resumed by the daemon; `jobctl repair RUN_ID` re-runs
it."""
import json
import os
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.environ.get("JOBCTL_SOURCE_DIR",
                                               os.path.join(HERE, "..", "..",
                                                            "..")),
                                "tests", "integration", "serve"))
from serve_common import JOBCTL, Daemon, check, main, wait_for  # noqa: E402

TERMINAL = ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")


def sleeper(d, name):
    """First attempt records its pid and sleeps; later attempts succeed."""
    mark = os.path.join(d.tmp, name + ".started")
    pid = os.path.join(d.tmp, name + ".pid")
    return ["sh", "-c", "if [ -e '%s' ]; then exit 0; fi; touch '%s'; "
            "echo $$ > '%s'; exec sleep 120" % (mark, mark, pid)]


def task(key, argv, deps=(), **kw):
    t = {"task_key": key, "command_task": {"command": argv}}
    if deps:
        t["depends_on"] = [{"task_key": k} for k in deps]
    t.update(kw)
    return t


def read_pid(d, name):
    try:
        with open(os.path.join(d.tmp, name + ".pid")) as f:
            t = f.read().strip()
        return int(t) if t else None
    except OSError:
        return None


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def db_rows(d, sql, args=()):
    db = sqlite3.connect(os.path.join(d.home, "jobctl.db"), timeout=5)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def attempts(run, key):
    return sorted([t for t in run["tasks"] if t["task_key"] == key],
                  key=lambda t: t["attempt_number"])


def wait_terminal(d, run_id, timeout=60):
    return wait_for(lambda: (lambda r: r if r["state"]["life_cycle_state"]
                             in TERMINAL else None)(d.get_run(run_id)),
                    timeout=timeout, what="run %d to finish" % run_id,
                    step=0.1)


def resume_events(d, run_id):
    return db_rows(d, "SELECT message FROM events WHERE run_id = ? AND "
                   "type = 'run.resume' ORDER BY event_id", (run_id,))


def test_daemon_crash(d):
    retry_job = d.create_job({
        "name": "retry", "max_concurrent_runs": 1, "queue": {"enabled": True},
        "tasks": [task("r", sleeper(d, "r"), max_retries=1,
                       min_retry_interval_millis=3000),
                  task("after", ["true"], deps=["r"])]})
    spent_job = d.create_job({"name": "spent", "tasks": [
        task("n", sleeper(d, "n"), max_retries=0)]})
    mixed_job = d.create_job({"name": "mixed", "tasks": [
        task("r3", sleeper(d, "r3"), max_retries=2),
        task("n3", sleeper(d, "n3")),
        task("c3", ["true"], deps=["n3"], run_if="ALL_DONE")]})
    gone_job = d.create_job({"name": "gone", "tasks": [
        task("g", sleeper(d, "g"), max_retries=1)]})
    cancel_job = d.create_job({"name": "cancel", "tasks": [
        task("k", sleeper(d, "k"), max_retries=1)]})
    # a job from a file in the jobs directory
    with open(os.path.join(d.jobs_dir, "filejob.json"), "w") as f:
        json.dump({"name": "filejob", "tasks": [
            task("f", sleeper(d, "f"), max_retries=1)]}, f)
    file_job = wait_for(lambda: (d.api("GET", "list?name=filejob").get("jobs")
                                 or [{}])[0].get("job_id"),
                        what="job file loaded")
    child_job = d.create_job({"name": "child", "tasks": [
        task("c", sleeper(d, "c"))]})
    parent_job = d.create_job({"name": "parent", "tasks": [
        {"task_key": "call", "max_retries": 1,
         "run_job_task": {"job_id": child_job}}]})
    run1 = d.run_now(retry_job)
    queued = d.run_now(retry_job)
    run2 = d.run_now(spent_job)
    run3 = d.run_now(mixed_job)
    run4 = d.run_now(gone_job)
    run5 = d.run_now(cancel_job)
    run6 = d.run_now(file_job)
    run7 = d.run_now(parent_job)
    check(d.get_run(queued)["state"]["life_cycle_state"] == "QUEUED",
          "second run of a max_concurrent_runs=1 job is queued")
    names = ("r", "n", "r3", "n3", "g", "k", "f", "c")
    wait_for(lambda: all(read_pid(d, n) for n in names), what="tasks started")
    pids = [read_pid(d, n) for n in names]
    # the attempts are committed (a crash leaves them RUNNING on disk)
    wait_for(lambda: db_rows(d, "SELECT COUNT(*) FROM task_runs WHERE "
                             "life_cycle_state = 'RUNNING' AND pgid > 0")[0][0]
             == 8, what="attempts committed to the store")
    d.kill9()
    check(all(pid_alive(p) for p in pids),
          "task processes outlive the killed daemon (test premise)")
    # run4's job disappears while the daemon is down (job deleted, no
    # settings snapshot): it cannot be resumed
    db = sqlite3.connect(os.path.join(d.home, "jobctl.db"), timeout=5)
    try:
        db.execute("UPDATE runs SET settings_json = NULL WHERE run_id = ?",
                   (run4,))
        db.execute("DELETE FROM jobs WHERE job_id = ?", (gone_job,))
        # run5 was being canceled when the daemon died
        db.execute("INSERT INTO events (ts_ms, run_id, type, message) "
                   "VALUES (?, ?, 'run.cancel', 'canceled through the API')",
                   (int(time.time() * 1000), run5))
        db.commit()
    finally:
        db.close()
    d.start()

    r1 = wait_terminal(d, run1)
    check(r1["state"]["result_state"] == "SUCCESS",
          "resumed run ends SUCCESS: %r" % r1["state"])
    a = attempts(r1, "r")
    check([t["attempt_number"] for t in a] == [0, 1],
          "task r got a second attempt: %r" % a)
    check(a[0]["state"]["result_state"] == "FAILED" and
          a[0]["state"]["state_message"].startswith("orphaned"),
          "first attempt settled as orphaned: %r" % a[0]["state"])
    check(a[1]["state"]["result_state"] == "SUCCESS",
          "retry succeeded: %r" % a[1]["state"])
    check(a[1]["start_time"] >= a[0]["start_time"] + 3000,
          "retry waited min_retry_interval_millis from the orphaned start")
    after = attempts(r1, "after")
    check(len(after) == 1 and after[0]["state"]["result_state"] == "SUCCESS",
          "downstream task ran once after the retry: %r" % after)
    hist = d.get_run(run1, history=True).get("repair_history", [])
    check(any(h.get("type") == "REPAIR" and h.get("x_jobctl_resume")
              for h in hist), "resume recorded in repair_history: %r" % hist)

    rq = wait_terminal(d, queued)
    check(rq["state"]["result_state"] == "SUCCESS",
          "queued run resumed and succeeded: %r" % rq["state"])
    check(min(t["start_time"] for t in rq["tasks"]) >= r1["end_time"],
          "queued run waited for the first run (max_concurrent_runs 1)")

    r2 = d.get_run(run2)
    check(r2["state"]["life_cycle_state"] == "TERMINATED" and
          r2["state"]["result_state"] == "FAILED",
          "max_retries 0: run stays FAILED: %r" % r2["state"])
    n = attempts(r2, "n")
    check(len(n) == 1 and n[0]["state"]["result_state"] == "FAILED" and
          n[0]["state"]["state_message"].startswith("orphaned"),
          "max_retries 0: one orphaned attempt: %r" % n)
    ev = resume_events(d, run2)
    check(len(ev) == 1 and ev[0][0].startswith("not resumed"),
          "run.resume event says why: %r" % ev)

    r4 = d.get_run(run4)
    check(r4["state"]["result_state"] == "FAILED" and
          r4["state"]["state_message"].startswith("orphaned"),
          "run without a job definition stays settled: %r" % r4["state"])
    check(len(attempts(r4, "g")) == 1, "no retry without a job definition")
    ev = resume_events(d, run4)
    check(len(ev) == 1 and "no job definition" in ev[0][0],
          "run.resume event says the job is missing: %r" % ev)
    with open(os.path.join(d.tmp, "serve.log"), "rb") as f:
        log = f.read().decode("utf-8", "replace")
    check("orphaned run not resumed: run=%d " % run4 in log,
          "the daemon log says run %d was not resumed" % run4)

    r5 = d.get_run(run5)
    check(r5["state"]["result_state"] == "FAILED" and
          len(attempts(r5, "k")) == 1,
          "a run being canceled is not resumed: %r" % r5["state"])
    ev = resume_events(d, run5)
    check(len(ev) == 1 and "canceled" in ev[0][0], "says why: %r" % ev)

    r6 = wait_terminal(d, run6)
    check(r6["state"]["result_state"] == "SUCCESS",
          "file job's run resumed: %r" % r6["state"])
    jobs = d.api("GET", "list?name=filejob").get("jobs", [])
    check(len(jobs) == 1 and jobs[0]["job_id"] == file_job,
          "the restart finds the job file's job again: %r" % jobs)

    r7 = wait_terminal(d, run7)
    check(r7["state"]["result_state"] == "SUCCESS" and
          len(attempts(r7, "call")) == 2,
          "run_job_task retried with a new child run: %r" % r7["state"])
    children = d.api("GET", "runs/list?job_id=%d" % child_job)["runs"]
    check(len(children) == 2, "two child runs: %r" % children)
    old = min(children, key=lambda x: x["run_id"])
    check(old["state"]["result_state"] == "FAILED" and
          "child run" in resume_events(d, old["run_id"])[0][0],
          "the orphaned child run itself is not resumed: %r" % old["state"])

    r3 = wait_terminal(d, run3)
    # n3 stays FAILED, its ALL_DONE child is the leaf and succeeds
    check(r3["state"]["result_state"] == "SUCCESS_WITH_FAILURES",
          "mixed run ends as the result rules say: %r" % r3["state"])
    check([t["state"]["result_state"] for t in attempts(r3, "r3")] ==
          ["FAILED", "SUCCESS"], "mixed run: r3 retried")
    check([t["state"]["result_state"] for t in attempts(r3, "n3")] ==
          ["FAILED"], "mixed run: n3 not retried")
    check([t["state"]["result_state"] for t in attempts(r3, "c3")] ==
          ["SUCCESS"], "mixed run: ALL_DONE child ran")

    left = [p for p in pids if pid_alive(p)]
    check(not left, "orphaned task processes killed: %r" % left)
    _, j, _ = d.request("GET", "/api/2.1/jobs/runs/list?active_only=true")
    check(not (j or {}).get("runs"), "nothing active: %r" % j)

    # A clean restart resumes nothing a second time.
    check(d.stop() == 0, "clean stop")
    d.start()
    check(len(resume_events(d, run2)) == 1, "no second decision for run2")
    check(len(resume_events(d, run1)) == 1, "run1 resumed once")
    check(d.get_run(run1)["state"]["result_state"] == "SUCCESS",
          "run1 untouched by the restart")


def test_embedded_not_resumed(d):
    """A killed foreground `jobctl run` is settled, not resumed."""
    check(d.stop() == 0, "clean stop")
    path = os.path.join(d.tmp, "emb.json")
    with open(path, "w") as f:
        json.dump({"name": "emb", "tasks": [
            task("e", sleeper(d, "e"), max_retries=1)]}, f)
    env = dict(os.environ)
    env["JOBCTL_HOME"] = d.home
    env["JOBCTL_NO_DAEMON"] = "1"
    p = subprocess.Popen([JOBCTL, "run", path, "--workspace",
                          os.path.join(d.tmp, "ws")], cwd=d.tmp, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: read_pid(d, "e"), what="embedded task started")
        wait_for(lambda: db_rows(d, "SELECT COUNT(*) FROM task_runs WHERE "
                                 "task_key = 'e' AND pgid > 0")[0][0] == 1,
                 what="embedded attempt committed")
        run_id = db_rows(d, "SELECT MAX(run_id) FROM runs")[0][0]
    finally:
        p.kill()
        p.wait()
    d.start()
    r = d.get_run(run_id)
    check(r["state"]["result_state"] == "FAILED" and
          r["state"]["state_message"].startswith("orphaned"),
          "embedded run settled, not resumed: %r" % r["state"])
    check(len(attempts(r, "e")) == 1, "no retry of an embedded run")
    check(not resume_events(d, run_id), "daemon leaves embedded runs alone")
    wait_for(lambda: not pid_alive(read_pid(d, "e")), timeout=15,
             what="embedded task killed")
    # What the user does instead: repair (through the daemon here).
    out = subprocess.run([JOBCTL, "repair", str(run_id)], cwd=d.tmp,
                         env=dict(env, JOBCTL_NO_DAEMON="0", JOBCTL_URL=d.base),
                         capture_output=True, text=True, timeout=60)
    r = wait_terminal(d, run_id)
    check(r["state"]["result_state"] == "SUCCESS",
          "jobctl repair re-runs the orphaned task: %r %s %s" %
          (r["state"], out.stdout, out.stderr))


def run():
    d = Daemon(env={"JOBCTL_KILL_GRACE_MS": "500"})
    try:
        d.start()
        test_daemon_crash(d)
        test_embedded_not_resumed(d)
    except BaseException:
        sys.stderr.write(d.read_log())
        raise
    finally:
        for n in ("r", "n", "r3", "n3", "g", "k", "f", "c", "e"):
            pid = read_pid(d, n)
            if pid and pid_alive(pid):
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass
        d.cleanup()


main(run)
