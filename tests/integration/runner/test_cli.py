"""The run CLI: exit codes (0 SUCCESS, 1 otherwise, 2 usage/validation
with diagnostics), --only, --junit, logs, runs, jobs, show, and repair
re-running the failed task and its downstream under the same run_id."""
import json
import os
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner_util import Env, attempts, check, results, wait_for  # noqa: E402

GATE = """#!/bin/sh
echo "gate says hi"
[ -e "$JOBCTL_HOME/fixed" ] && exit 0
echo "not fixed yet" >&2
exit 2
"""


def main():
    e = Env()
    try:
        # Validation errors: exit 2, diagnostics, nothing runs.
        bad = e.job("cycle.json", {"name": "cyc", "tasks": [
            {"task_key": "a", "depends_on": [{"task_key": "b"}],
             "command_task": {"command": ["true"]}},
            {"task_key": "b", "depends_on": [{"task_key": "a"}],
             "command_task": {"command": ["true"]}}]})
        p = e.jobctl("run", bad, check=2)
        check("cycle" in p.stderr, "cycle diagnostic: %s" % p.stderr)
        p = e.jobctl("run", check=2)
        p = e.jobctl("run", bad, "--parallel", "zero", check=2)
        check(not os.path.exists(os.path.join(e.home, "jobctl.db")) or
              json.loads(e.jobctl("runs", "--json", check=0).stdout)["runs"] == [],
              "nothing ran")

        e.script("gate", GATE)
        path = e.job("pipe.json", {"name": "pipe", "tasks": [
            {"task_key": "extract", "command_task": {"command": ["true"]}},
            {"task_key": "gate", "depends_on": [{"task_key": "extract"}],
             "notebook_task": {"notebook_path": "gate"}},
            {"task_key": "load", "depends_on": [{"task_key": "gate"}],
             "command_task": {"command": ["echo", "loaded"]}},
            {"task_key": "side", "depends_on": [{"task_key": "extract"}],
             "command_task": {"command": ["true"]}}]})
        junit = os.path.join(e.dir, "junit.xml")
        p = e.jobctl("run", path, "--workspace", e.ws, "--junit", junit,
                     check=1)
        check("gate" in p.stderr and "FAILED" in p.stderr, "progress lines")
        run_id = int(p.stdout.split()[1])
        suite = ET.parse(junit).getroot().find("testsuite")
        check(suite.get("tests") == "4" and suite.get("failures") == "2",
              "junit counts %r" % suite.attrib)
        cases = {c.get("name"): c for c in suite.findall("testcase")}
        check(cases["gate"].find("failure") is not None, "gate failure")
        check(cases["extract"].find("failure") is None, "extract ok")

        p = e.jobctl("logs", str(run_id), "gate", check=0)
        check("gate says hi" in p.stdout and "not fixed yet" in p.stdout,
              "logs: %r" % p.stdout)
        e.jobctl("logs", str(run_id), "gate", "--attempt", "7", check=1)
        p = e.jobctl("logs", str(run_id), "extract", check=0)
        check(p.stdout == "(no output)\n", "silent task: %r" % p.stdout)
        p = e.jobctl("runs", check=0)
        check(str(run_id) in p.stdout and "FAILED" in p.stdout, "runs table")
        p = e.jobctl("jobs", "--json", check=0)
        check(json.loads(p.stdout)["jobs"][0]["settings"]["name"] == "pipe",
              "jobs --json")
        e.jobctl("show", "999999", check=1)
        p = e.jobctl("cancel", str(run_id), check=0)
        check("already" in p.stdout, "cancel finished run")

        # Repair: fix the cause, re-run gate + downstream under the same id.
        open(os.path.join(e.home, "fixed"), "w").close()
        p = e.jobctl("repair", str(run_id), "--json", check=0)
        run = json.loads(p.stdout)
        check(run["run_id"] == run_id, "same run id")
        check(run["state"]["result_state"] == "SUCCESS", "repaired result")
        check(len(attempts(run, "gate")) == 2, "gate re-run")
        check(len(attempts(run, "load")) == 2, "downstream re-run")
        check(len(attempts(run, "extract")) == 1, "extract not re-run")
        check(len(attempts(run, "side")) == 1, "side not re-run")
        hist = run["repair_history"]
        check([h["type"] for h in hist] == ["ORIGINAL", "REPAIR"] and
              hist[1]["id"] == 1, "repair history %r" % hist)
        rerun = sorted(t["run_id"] for t in run["tasks"]
                       if t.get("repair_id") == 1)
        check(sorted(hist[1]["task_run_ids"]) == rerun and len(rerun) == 2,
              "repair task_run_ids %r vs %r" % (hist[1]["task_run_ids"], rerun))
        e.jobctl("repair", str(run_id), check=1)  # nothing failed any more
        p = e.jobctl("repair", str(run_id), "--task", "side", "--json", check=0)
        run = json.loads(p.stdout)
        check(len(attempts(run, "side")) == 2, "named task re-run")

        # max_concurrent_runs: a second run of a busy job is SKIPPED, or
        # QUEUED until the first one ends when queue.enabled.
        flag = os.path.join(e.dir, "go")
        waiter = ["sh", "-c", "while [ ! -e %s ]; do sleep 0.05; done" % flag]
        for queue in (False, True):
            busy = e.job("busy%d.json" % queue, {
                "name": "busy", "max_concurrent_runs": 1,
                "queue": {"enabled": queue},
                "tasks": [{"task_key": "w", "command_task": {"command": waiter}}]})
            first = e.popen("run", busy)

            def first_running():
                r = json.loads(e.jobctl("runs", "--json", check=0).stdout)["runs"]
                return r and r[0]["state"]["life_cycle_state"] == "RUNNING"
            wait_for(first_running, what="first run RUNNING")
            if not queue:
                p = e.jobctl("run", busy, "--json", check=1)
                r = json.loads(p.stdout)
                check(r["state"]["life_cycle_state"] == "SKIPPED" and
                      r["state"]["result_state"] ==
                      "MAXIMUM_CONCURRENT_RUNS_REACHED", "skipped %r" % r["state"])
                open(flag, "w").close()
                first.communicate(timeout=60)
                check(first.returncode == 0, "first run ok")
            else:
                second = e.popen("run", busy, "--json")

                def queued():
                    r = json.loads(e.jobctl("runs", "--json", check=0).stdout)["runs"]
                    return r[0]["state"]["life_cycle_state"] == "QUEUED"
                wait_for(queued, what="second run QUEUED")
                open(flag, "w").close()
                out, _ = second.communicate(timeout=60)
                first.communicate(timeout=60)
                check(second.returncode == 0, "queued run ran")
                check(json.loads(out)["state"]["result_state"] == "SUCCESS",
                      "queued run result")
            os.unlink(flag)

        # --only runs just the named task (its parents are not part of it).
        run, _ = e.run(path, "--only", "load", want_exit=0)
        check(list(results(run)) == ["load"], "only: %r" % results(run))
        e.jobctl("run", path, "--only", "nope", check=2)
    finally:
        e.close()
    print("ok")


main()
