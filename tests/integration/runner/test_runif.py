"""End-to-end run_if with real subprocesses: children of a succeeding and
a failing parent under all six run_if conditions, excluded propagation,
and the job result rules (FAILED, SUCCESS_WITH_FAILURES, SUCCESS)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner_util import Env, check, results  # noqa: E402

OK = {"command_task": {"command": ["true"]}}
BAD = {"command_task": {"command": ["false"]}}


def child(key, run_if, deps):
    t = {"task_key": key, "run_if": run_if,
         "depends_on": [{"task_key": d} for d in deps]}
    t.update(OK)
    return t


def main():
    e = Env()
    try:
        tasks = [dict(task_key="ok", **OK), dict(task_key="bad", **BAD)]
        want = {
            "ALL_SUCCESS": "UPSTREAM_FAILED",
            "AT_LEAST_ONE_SUCCESS": "SUCCESS",
            "NONE_FAILED": "UPSTREAM_FAILED",
            "ALL_DONE": "SUCCESS",
            "AT_LEAST_ONE_FAILED": "SUCCESS",
            "ALL_FAILED": "EXCLUDED",
        }
        for cond in want:
            tasks.append(child("mixed_" + cond.lower(), cond, ["ok", "bad"]))
            tasks.append(child("okonly_" + cond.lower(), cond, ["ok"]))
            tasks.append(child("badonly_" + cond.lower(), cond, ["bad"]))
        # Children of an excluded parent are excluded whatever their run_if.
        tasks.append(child("after_excluded", "ALL_DONE", ["mixed_all_failed"]))
        # Upstream-failed parents count as failed.
        tasks.append(child("after_uf", "AT_LEAST_ONE_FAILED",
                           ["mixed_all_success"]))
        run, _ = e.run(e.job("runif.json", {"name": "runif", "tasks": tasks}),
                       want_exit=1)
        got = results(run)
        for cond, w in want.items():
            c = cond.lower()
            check(got["mixed_" + c] == w,
                  "mixed %s: want %s got %s" % (cond, w, got["mixed_" + c]))
        okonly = {"ALL_SUCCESS": "SUCCESS", "AT_LEAST_ONE_SUCCESS": "SUCCESS",
                  "NONE_FAILED": "SUCCESS", "ALL_DONE": "SUCCESS",
                  "AT_LEAST_ONE_FAILED": "EXCLUDED", "ALL_FAILED": "EXCLUDED"}
        badonly = {"ALL_SUCCESS": "UPSTREAM_FAILED",
                   "AT_LEAST_ONE_SUCCESS": "UPSTREAM_FAILED",
                   "NONE_FAILED": "UPSTREAM_FAILED", "ALL_DONE": "SUCCESS",
                   "AT_LEAST_ONE_FAILED": "SUCCESS", "ALL_FAILED": "SUCCESS"}
        for cond in want:
            c = cond.lower()
            check(got["okonly_" + c] == okonly[cond],
                  "okonly %s: got %s" % (cond, got["okonly_" + c]))
            check(got["badonly_" + c] == badonly[cond],
                  "badonly %s: got %s" % (cond, got["badonly_" + c]))
        check(got["after_excluded"] == "EXCLUDED",
              "after_excluded: %s" % got["after_excluded"])
        check(got["after_uf"] == "SUCCESS", "after_uf: %s" % got["after_uf"])
        check(run["state"]["result_state"] == "FAILED",
              "job result %s" % run["state"]["result_state"])
        # Skipped tasks: TERMINATED with v2 code SKIPPED.
        skipped = [t for t in run["tasks"] if t["task_key"] == "mixed_all_failed"]
        check(skipped[0]["status"]["termination_details"]["code"] == "SKIPPED",
              "excluded task v2 code")

        # A failed task whose only leaf is an ALL_DONE cleanup:
        # SUCCESS_WITH_FAILURES, and jobctl exits 1 (not SUCCESS).
        run, _ = e.run(e.job("swf.json", {"name": "swf", "tasks": [
            dict(task_key="bad", **BAD),
            child("cleanup", "ALL_DONE", ["bad"])]}), want_exit=1)
        check(run["state"]["result_state"] == "SUCCESS_WITH_FAILURES",
              "swf result %s" % run["state"]["result_state"])
        # Excluded leaf counts as success.
        run, _ = e.run(e.job("excl.json", {"name": "excl", "tasks": [
            dict(task_key="ok", **OK),
            child("on_fail", "AT_LEAST_ONE_FAILED", ["ok"])]}), want_exit=0)
        check(run["state"]["result_state"] == "SUCCESS",
              "excluded leaf result %s" % run["state"]["result_state"])
        # condition_task: evaluated in-process; the branch not taken is
        # EXCLUDED and so is everything below it.
        run, _ = e.run(e.job("cond.json", {"name": "cond", "tasks": [
            {"task_key": "count", "command_task": {"command": [
                "sh", "-c", "echo n=12 >> \"$JOBCTL_TASK_VALUES\""]}},
            {"task_key": "big", "depends_on": [{"task_key": "count"}],
             "condition_task": {"op": "GREATER_THAN_OR_EQUAL",
                                "left": "{{tasks.count.values.n}}",
                                "right": "10"}},
            {"task_key": "yes", "depends_on": [{"task_key": "big",
                                                "outcome": "true"}], **OK},
            {"task_key": "no", "depends_on": [{"task_key": "big",
                                               "outcome": "false"}], **OK},
            child("after_no", "ALL_DONE", ["no"])]}), want_exit=0)
        r = results(run)
        check(r == {"count": "SUCCESS", "big": "SUCCESS", "yes": "SUCCESS",
                    "no": "EXCLUDED", "after_no": "EXCLUDED"},
              "condition branches %r" % r)
        big = [t for t in run["tasks"] if t["task_key"] == "big"][0]
        check(big["resolved_values"]["condition_task"]["left"] == "12",
              "condition operands resolved")
        # Job timeout: running tasks are stopped, the run is TIMEDOUT.
        run, _ = e.run(e.job("jobto.json", {"name": "jobto",
                                            "timeout_seconds": 1, "tasks": [
            {"task_key": "sleepy", "command_task": {"command": ["sleep", "30"]}},
            {"task_key": "later", "depends_on": [{"task_key": "sleepy"}],
             **OK}]}), want_exit=1)
        check(run["state"]["result_state"] == "TIMEDOUT",
              "job timeout %r" % run["state"])
        check(run["state"]["user_cancelled_or_timedout"] is True, "flag")
        r = results(run)
        check(r["sleepy"] == "TIMEDOUT" and r["later"] == "CANCELED",
              "job timeout tasks %r" % r)
        # Disabled tasks never run.
        run, _ = e.run(e.job("dis.json", {"name": "dis", "tasks": [
            dict(task_key="off", disabled=True, **BAD)]}), want_exit=0)
        check(results(run)["off"] == "DISABLED", "disabled")
    finally:
        e.close()
    print("ok")


main()
