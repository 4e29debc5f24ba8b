"""test_sdk: the official Databricks SDK for JavaScript
(@databricks/sdk-experimental, installed by `make deps`; it calls the
/api/2.2/jobs/ paths) drives `jobctl serve` over loopback with a bearer
token: list jobs, run-now and wait for the result, list and get runs,
repair the failed task, cancel a running run, submit a one-time run, and a
wrong token is refused.
"""
import json
import os
import subprocess

from serve_common import Daemon, check, main

NODE_DIR = os.environ["JOBCTL_NODE_DIR"]
SCRIPT = os.path.join(NODE_DIR, "databricks_sdk_check.mjs")


def test():
    d = Daemon(token="sdk-token")
    flag = os.path.join(d.tmp, "flag")
    with open(os.path.join(d.jobs_dir, "sdk_job.json"), "w") as f:
        json.dump({"name": "sdk_job", "max_concurrent_runs": 5, "tasks": [
            {"task_key": "a", "command_task": {"command": ["true"]}},
            {"task_key": "b", "depends_on": [{"task_key": "a"}],
             "command_task": {"command": ["test", "-f", flag]}}]}, f)
    with open(os.path.join(d.jobs_dir, "sdk_slow.json"), "w") as f:
        json.dump({"name": "sdk_slow", "tasks": [
            {"task_key": "slow", "command_task": {"command": ["sleep", "60"]}}
        ]}, f)
    d.start()
    try:
        p = subprocess.run(["node", SCRIPT, d.base, "sdk-token", flag],
                           cwd=NODE_DIR, capture_output=True, text=True,
                           timeout=150)
        check(p.returncode == 0,
              f"sdk script failed: {p.stderr[-2000:]}\n{d.read_log()}")
        r = json.loads(p.stdout)
        check(r["jobs"] == ["sdk_job", "sdk_slow"], f"jobs.list: {r['jobs']}")
        check(r["run"] == ["TERMINATED", "FAILED"],
              f"run-now + wait: {r['run']}")
        check(r["listed"], "runs/list shows the run")
        check(r["tasks"] == [["a", 0, "SUCCESS"], ["b", 0, "FAILED"]],
              f"runs/get tasks: {r['tasks']}")
        check(r["repaired"] == "SUCCESS", f"repair + wait: {r['repaired']}")
        check(r["repair_history"] == ["ORIGINAL", "REPAIR"],
              f"repair_history: {r['repair_history']}")
        check(r["canceled"] == ["TERMINATED", "CANCELED"],
              f"cancel + wait: {r['canceled']}")
        check(r["submit"] == "SUCCESS", f"runs/submit + wait: {r['submit']}")
        check("PERMISSION_DENIED" in r["denied"] or "403" in r["denied"],
              f"wrong token refused: {r['denied']}")
        check("sdk-token" not in d.read_log(), "token not in the daemon log")
    finally:
        d.stop()
        d.cleanup()


if __name__ == "__main__":
    main(test)
