"""kill -9 of `jobctl run` mid-run: the next jobctl that opens the store
settles the run (not RUNNING any more, tasks FAILED "orphaned") and the
orphaned task processes, grandchildren included, are gone. A second case
kills jobctl right after the spawn, before the attempt rows are
committed: the processes are still found (by JOBCTL_RUN_ID in their
environment) and killed."""
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner_util import (Env, check, fail, kill_all, read_pids, wait_for,  # noqa: E402
                         wait_gone)

FORKER = """#!/bin/sh
sleep 1000 & echo $! >> "$JOBCTL_HOME/pids"
sleep 1000 & echo $! >> "$JOBCTL_HOME/pids"
echo $$ >> "$JOBCTL_HOME/pids"
wait
"""


def main():
    e = Env()
    pidfile = os.path.join(e.home, "pids")
    try:
        e.script("forker", FORKER)
        path = e.job("crash.json", {"name": "crash", "tasks": [
            {"task_key": "a", "notebook_task": {"notebook_path": "forker"}},
            {"task_key": "b", "notebook_task": {"notebook_path": "forker"}},
            {"task_key": "c", "depends_on": [{"task_key": "a"}],
             "command_task": {"command": ["true"]}}]})
        p = e.popen("run", path, "--workspace", e.ws, "--parallel", "2")
        wait_for(lambda: len(read_pids(pidfile)) == 6, what="tasks started")

        def running():
            r = json.loads(e.jobctl("runs", "--json", check=0).stdout)["runs"]
            return r and r[0]["state"]["life_cycle_state"] == "RUNNING" and r
        runs = wait_for(running, what="run RUNNING in the store")
        run_id = runs[0]["run_id"]
        # Attempt rows are committed in batches (every 50 ms).
        wait_for(lambda: len(e.show(run_id).get("tasks", [])) >= 2,
                 what="attempt rows in the store")
        # Other jobctl commands must leave a live owner's run alone.
        check(running(), "a live run is not settled by `jobctl runs`")
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
        pids = read_pids(pidfile)
        check(any(os.path.exists("/proc/%d" % x) for x in pids),
              "task processes outlive the killed jobctl (test premise)")
        out = e.jobctl("runs", "--json", check=0).stdout
        run = [r for r in json.loads(out)["runs"] if r["run_id"] == run_id][0]
        check(run["state"]["life_cycle_state"] == "TERMINATED",
              "run settled: %r" % run["state"])
        check(run["state"]["result_state"] == "FAILED", "settled run FAILED")
        check("orphaned" in run["state"]["state_message"], "orphaned message")
        left = wait_gone(pids)
        if left:
            kill_all(left)
            fail("orphaned processes still alive: %r" % left)
        shown = e.show(run_id)
        for t in shown["tasks"]:
            check(t["state"]["life_cycle_state"] == "TERMINATED",
                  "task %s settled" % t["task_key"])
        a = [t for t in shown["tasks"] if t["task_key"] == "a"][0]
        check(a["state"]["result_state"] == "FAILED" and
              "orphaned" in a["state"]["state_message"], "task a orphaned")
        # Kill right after the spawn (rows possibly not committed yet).
        os.unlink(pidfile)
        p = e.popen("run", path, "--workspace", e.ws, "--parallel", "2")
        wait_for(lambda: len(read_pids(pidfile)) == 6, what="tasks started")
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
        e.jobctl("runs", check=0)
        pids = read_pids(pidfile)
        left = wait_gone(pids)
        if left:
            kill_all(left)
            fail("fast kill: processes still alive: %r" % left)
        r = json.loads(e.jobctl("runs", "--json", check=0).stdout)["runs"][0]
        check(r["state"]["life_cycle_state"] == "TERMINATED", "fast kill settled")
        # A new run in the same home works and gets a new run id.
        e.script("forker", "#!/bin/sh\nexit 0\n")
        run2, _ = e.run(path, want_exit=0)
        check(run2["run_id"] > run_id, "run ids never reused")
    finally:
        kill_all(read_pids(pidfile))
        e.close()
    print("ok")


main()
