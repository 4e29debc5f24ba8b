"""test_schedule: the daemon's scheduler and run manager. A job file with
a schedule every 2 s fires on its ticks (trigger PERIODIC); a paused one
does not fire until its file is edited; max_concurrent_runs=1 with a
queue starts the second run when the first ends, without a queue the
second run is SKIPPED with MAXIMUM_CONCURRENT_RUNS_REACHED; a daemon
killed with SIGKILL and restarted settles the orphaned run, kills its
task and keeps scheduling; after downtime exactly one missed tick runs;
SIGTERM cancels a running task after the
shutdown grace period and exits 0."""
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import Daemon, check, cmd_job, main, wait_for  # noqa: E402


def write_job(d, fname, settings):
    path = os.path.join(d.jobs_dir, fname)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(settings, f)
    os.rename(tmp, path)


def job_id_by_name(d, name):
    def find():
        j = d.api("GET", "list?name=" + name)
        return j["jobs"][0]["job_id"] if j.get("jobs") else None
    return wait_for(find, what="job %s loaded" % name)


def runs_of(d, job_id):
    return d.api("GET", "runs/list?job_id=%d&limit=25" % job_id).get("runs", [])


def sched(expr, paused=False):
    return {"quartz_cron_expression": expr, "timezone_id": "UTC",
            "pause_status": "PAUSED" if paused else "UNPAUSED"}


def test_schedules(d):
    write_job(d, "tick.json", cmd_job("tick", [("t", ["true"], [])],
                                      schedule=sched("*/2 * * * * ?")))
    write_job(d, "paused.json", cmd_job("paused", [("t", ["true"], [])],
                                        schedule=sched("* * * * * ?", True)))
    d.start()
    tick = job_id_by_name(d, "tick")
    paused = job_id_by_name(d, "paused")
    runs = wait_for(lambda: (lambda r: r if len(r) >= 3 else None)(
        runs_of(d, tick)), timeout=30, what="3 scheduled runs")
    def fire_events():
        # the daemon records a tick's schedule.fire event right after the
        # run it started, so a run just listed may not have it yet
        db = sqlite3.connect(os.path.join(d.home, "jobctl.db"), timeout=5)
        try:
            f = {rid: int(m.split("fire_utc=")[1]) for rid, m in db.execute(
                "SELECT run_id, message FROM events "
                "WHERE type = 'schedule.fire'")}
        finally:
            db.close()
        return f if all(r["run_id"] in f for r in runs) else None
    fired = wait_for(fire_events, timeout=10, what="schedule.fire events")
    for r in runs:
        check(r["trigger"] == "PERIODIC", "scheduled run trigger: %r" % r["trigger"])
        at = fired.get(r["run_id"])
        check(at is not None and at % 2 == 0,
              "run %d recorded its even-second tick: %r" % (r["run_id"], at))
        # not before its tick (how long after depends on the machine's load)
        check(r["start_time"] >= at * 1000, "run %d started %d ms before "
              "its tick" % (r["run_id"], at * 1000 - r["start_time"]))
    ticks = sorted(fired[r["run_id"]] for r in runs)
    check(len(set(ticks)) == len(ticks), "one run per tick: %r" % ticks)
    check(runs_of(d, paused) == [], "paused schedule did not fire")
    # editing the file (unpause) is picked up without a restart
    write_job(d, "paused.json", cmd_job("paused", [("t", ["true"], [])],
                                        schedule=sched("* * * * * ?")))
    wait_for(lambda: runs_of(d, paused), timeout=20,
             what="unpaused schedule to fire after reload")
    # pausing through the API stops it again
    d.api("POST", "update", {"job_id": paused, "new_settings": {
        "schedule": sched("* * * * * ?", True)}})
    time.sleep(0.5)
    n = len(runs_of(d, paused))
    time.sleep(2.5)
    check(len(runs_of(d, paused)) <= n + 1, "paused through the API")
    return tick


def test_queue(d):
    q = d.create_job(cmd_job("queued", [("s", ["sleep", "1.5"], [])],
                             max_concurrent_runs=1, queue={"enabled": True}))
    r1 = d.run_now(q)
    r2 = d.run_now(q)
    s2 = d.get_run(r2)
    check(s2["state"]["life_cycle_state"] == "QUEUED",
          "second run queued: %r" % s2["state"])
    check(s2["status"]["state"] == "QUEUED", "v2 QUEUED")
    metrics = d.request("GET", "/metrics")[1]
    check("jobctl_queue_length 1" in metrics, "queue length metric")
    a = d.wait_run(r1)
    b = d.wait_run(r2)
    check(a["state"]["result_state"] == "SUCCESS" and
          b["state"]["result_state"] == "SUCCESS", "both queued runs succeed")
    first_end = a["end_time"]
    second_task_start = min(t["start_time"] for t in b["tasks"])
    check(second_task_start >= first_end,
          "queued run starts after the first ends (%d < %d)" %
          (second_task_start, first_end))

    s = d.create_job(cmd_job("noqueue", [("s", ["sleep", "1.5"], [])],
                             max_concurrent_runs=1, queue={"enabled": False}))
    r1 = d.run_now(s)
    r2 = d.run_now(s)
    b = d.wait_run(r2)
    check(b["state"]["life_cycle_state"] == "SKIPPED" and
          b["state"]["result_state"] == "MAXIMUM_CONCURRENT_RUNS_REACHED",
          "second run skipped: %r" % b["state"])
    check(d.wait_run(r1)["state"]["result_state"] == "SUCCESS", "first ran")


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_crash_restart(d, tick):
    pidfile = os.path.join(d.tmp, "task.pid")
    long_job = d.create_job(cmd_job("long", [
        ("s", ["sh", "-c", "echo $$ > '%s'; exec sleep 120" % pidfile], [])]))
    run = d.run_now(long_job)
    wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(),
             what="task pid")
    pid = int(open(pidfile).read())
    check(pid_alive(pid), "task running")

    def committed():
        # read through a second connection: the attempt's process group is
        # on disk, as a crash would leave it
        db = sqlite3.connect(os.path.join(d.home, "jobctl.db"), timeout=5)
        try:
            row = db.execute("SELECT pgid FROM task_runs WHERE run_id = ?",
                             (run,)).fetchone()
        finally:
            db.close()
        return row and row[0] > 0
    wait_for(committed, what="attempt committed to the store")
    d.kill9()
    restart_ms = int(time.time() * 1000)
    d.start()
    r = d.get_run(run)
    check(r["state"]["life_cycle_state"] != "RUNNING",
          "orphaned run settled after restart: %r" % r["state"])
    check(r["state"].get("result_state") not in (None, "SUCCESS"),
          "orphaned run is not a success: %r" % r["state"])
    wait_for(lambda: not pid_alive(pid), timeout=15,
             what="orphaned task process killed")
    wait_for(lambda: any(x["start_time"] > restart_ms and
                         x["trigger"] == "PERIODIC" for x in runs_of(d, tick)),
             timeout=20, what="schedule to keep firing after restart")


def test_missed_ticks(d, tick):
    """Down for ~5 s (two or three missed 2-second ticks): the restart runs
    exactly one catch-up, then the schedule continues."""
    check(d.stop() == 0, "clean stop")
    time.sleep(5)
    restart_ms = int(time.time() * 1000)
    d.start()
    wait_for(lambda: sum(1 for x in runs_of(d, tick)
                         if x["start_time"] >= restart_ms) >= 2,
             timeout=20, what="runs after restart")
    db = sqlite3.connect(os.path.join(d.home, "jobctl.db"), timeout=5)
    try:
        fires = [int(m.split("fire_utc=")[1]) for (m,) in db.execute(
            "SELECT message FROM events WHERE type = 'schedule.fire' AND "
            "ts_ms >= ? AND message LIKE ?", (restart_ms, "job_id=%d %%" % tick))]
    finally:
        db.close()
    missed = [f for f in fires if f * 1000 < restart_ms]
    check(len(missed) == 1, "one catch-up run for the missed ticks: %r (restart %d)"
          % (fires, restart_ms))


def test_sigterm_grace(d):
    """SIGTERM: running tasks get --shutdown-grace (1 s here), then are
    canceled; the daemon exits 0 and nothing is left RUNNING."""
    pidfile = os.path.join(d.tmp, "term.pid")
    job = d.create_job(cmd_job("term", [
        ("s", ["sh", "-c", "echo $$ > '%s'; exec sleep 120" % pidfile], [])]))
    run_id = d.run_now(job)
    wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(),
             what="task pid")
    pid = int(open(pidfile).read())
    check(d.stop() == 0, "clean SIGTERM exit with a running task")
    check(not pid_alive(pid), "task stopped on shutdown")
    db = sqlite3.connect(os.path.join(d.home, "jobctl.db"), timeout=5)
    try:
        life, result = db.execute("SELECT life_cycle_state, result_state FROM "
                                  "runs WHERE run_id = ?", (run_id,)).fetchone()
    finally:
        db.close()
    check(life == "TERMINATED" and result == "CANCELED",
          "run canceled by shutdown: %s %s" % (life, result))


def run():
    d = Daemon()
    try:
        tick = test_schedules(d)
        test_queue(d)
        test_crash_restart(d, tick)
        test_missed_ticks(d, tick)
        test_sigterm_grace(d)
    finally:
        d.cleanup()


if __name__ == "__main__":
    main(run)
