"""run_job_task runs another job known to this JOBCTL_HOME as a child run
(trigger RUN_JOB_TASK) on the same loop: job_parameters (with references)
reach the child, the child's result becomes the task's, and a timeout on
the task cancels the child run and its processes."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner_util import Env, check, results  # noqa: E402

ECHO = """import json, os, sys
with open(os.path.join(os.environ["JOBCTL_HOME"], "child-%s.json" %
          os.environ["JOBCTL_RUN_ID"]), "w") as f:
    json.dump({"argv": sys.argv[1:]}, f)
sys.exit(int(os.environ.get("JOBCTL_PARAM_CODE", "0")))
"""


def main():
    e = Env()
    try:
        e.script("child.py", ECHO, 0o644)
        child = e.job("child.json", {
            "name": "child", "parameters": [{"name": "who", "default": "nobody"},
                                            {"name": "code", "default": "0"}],
            "tasks": [{"task_key": "echo",
                       "notebook_task": {"notebook_path": "child.py"}}]})
        first, _ = e.run(child, want_exit=0)
        job_id = first["job_id"]
        parent = e.job("parent.json", {"name": "parent", "tasks": [
            {"task_key": "call", "run_job_task": {
                "job_id": job_id,
                "job_parameters": {"who": "parent run {{job.run_id}}"}}},
            {"task_key": "after", "depends_on": [{"task_key": "call"}],
             "command_task": {"command": ["true"]}}]})
        run, _ = e.run(parent, want_exit=0)
        check(results(run) == {"call": "SUCCESS", "after": "SUCCESS"},
              "parent %r" % results(run))
        call = [t for t in run["tasks"] if t["task_key"] == "call"][0]
        child_id = int(call["state"]["state_message"].split()[1].rstrip(":"))
        crun = e.show(child_id)
        check(crun["trigger"] == "RUN_JOB_TASK", "child trigger %r" % crun["trigger"])
        check(crun["job_id"] == job_id, "child job id")
        with open(os.path.join(e.home, "child-%d.json" % child_id)) as f:
            argv = json.load(f)["argv"]
        check("--who=parent run %d" % run["run_id"] in argv,
              "job_parameters reach the child: %r" % argv)
        check(call["resolved_values"]["run_job_task"]["job_parameters"]["who"] ==
              "parent run %d" % run["run_id"], "resolved job_parameters")

        # A failing child fails the task (and its downstream).
        bad = e.job("parent_bad.json", {"name": "parent_bad", "tasks": [
            {"task_key": "call", "run_job_task": {
                "job_id": job_id, "job_parameters": {"code": "3"}}},
            {"task_key": "after", "depends_on": [{"task_key": "call"}],
             "command_task": {"command": ["true"]}}]})
        run, _ = e.run(bad, want_exit=1)
        check(results(run) == {"call": "FAILED", "after": "UPSTREAM_FAILED"},
              "failing child %r" % results(run))

        # Unknown job: the task fails with a clear message.
        unknown = e.job("parent_unknown.json", {"name": "pu", "tasks": [
            {"task_key": "call", "run_job_task": {"job_id": 987654321}}]})
        run, _ = e.run(unknown, want_exit=1)
        msg = run["tasks"][0]["state"]["state_message"]
        check("987654321" in msg and "not known" in msg, "message %r" % msg)

        # Timeout on the run_job_task: the child run is canceled.
        # Register a slow job (its own run times out after 1 s).
        sj = e.job("slow_reg.json", {"name": "slowchild", "timeout_seconds": 1,
                                     "tasks": [{"task_key": "s", "command_task":
                                                {"command": ["sleep", "60"]}}]})
        reg, _ = e.run(sj, want_exit=1)
        timed = e.job("parent_timeout.json", {"name": "pt", "tasks": [
            {"task_key": "call", "timeout_seconds": 1,
             "run_job_task": {"job_id": reg["job_id"]}}]})
        run, _ = e.run(timed, want_exit=1)
        check(results(run) == {"call": "TIMEDOUT"}, "timeout %r" % results(run))
        call = run["tasks"][0]
        cid = int(call["state"]["state_message"].split()[1].rstrip(":"))
        check(e.show(cid)["state"]["result_state"] == "CANCELED",
              "child canceled")
    finally:
        e.close()
    print("ok")


main()
