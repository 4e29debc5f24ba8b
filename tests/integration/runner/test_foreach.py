"""for_each_task runs its nested task once per element of `inputs` (a
literal JSON array or a task value), with {{input}} / {{input.<field>}}
substituted, at most `concurrency` at a time, retrying failed iterations
per the nested task's max_retries; the task fails if any iteration does."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner_util import Env, check, results  # noqa: E402

REC = """import os, sys
with open(os.path.join(os.environ["JOBCTL_HOME"], "it-" +
          os.environ["JOBCTL_TASK_KEY"]), "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\\n")
"""

SETVAL = ("import json, os\n"
          "v = [{'name': 'oslo', 'n': 1}, {'name': 'rome', 'n': 2}]\n"
          "with open(os.environ['JOBCTL_TASK_VALUES'], 'a') as f:\n"
          "    f.write(json.dumps({'key': 'cities', 'value': v}) + '\\n')\n")


def main():
    e = Env()
    try:
        e.script("rec.py", REC, 0o644)
        job = {"name": "fe", "tasks": [
            {"task_key": "list", "command_task": {"command": [
                "python3", "-c", SETVAL]}},
            {"task_key": "each", "depends_on": [{"task_key": "list"}],
             "for_each_task": {
                 "inputs": "{{tasks.list.values.cities}}", "concurrency": 2,
                 "task": {"task_key": "each_iteration",
                          "spark_python_task": {
                              "python_file": "rec.py",
                              "parameters": ["{{input.name}}", "{{input}}"]}}}},
            {"task_key": "lit", "for_each_task": {
                "inputs": json.dumps(["a", "b", "c"]),
                "task": {"task_key": "lit_iteration",
                         "command_task": {"command": ["python3", "%s/rec.py" % e.ws,
                                                      "{{input}}"]}}}},
            {"task_key": "after", "depends_on": [{"task_key": "each"},
                                                 {"task_key": "lit"}],
             "command_task": {"command": ["true"]}}]}
        run, _ = e.run(e.job("fe.json", job), want_exit=0)
        r = results(run)
        check(r["each"] == "SUCCESS" and r["lit"] == "SUCCESS" and
              r["after"] == "SUCCESS", "results %r" % r)
        check(r.get("each[0]") == "SUCCESS" and r.get("each[1]") == "SUCCESS",
              "iterations recorded %r" % r)
        with open(os.path.join(e.home, "it-each[0]")) as f:
            a0 = f.read().split()
        with open(os.path.join(e.home, "it-each[1]")) as f:
            a1 = f.read().split()
        check(a0[0] == "oslo" and json.loads(a0[1]) == {"name": "oslo", "n": 1},
              "input refs %r" % a0)
        check(a1[0] == "rome", "second element %r" % a1)
        for k, v in (("lit[0]", "a"), ("lit[1]", "b"), ("lit[2]", "c")):
            with open(os.path.join(e.home, "it-" + k)) as f:
                check(f.read().strip() == v, "literal input %s" % k)

        # A failing iteration (retried once) fails the for_each task.
        bad = {"name": "febad", "tasks": [
            {"task_key": "each", "for_each_task": {
                "inputs": "[0, 3, 0]", "concurrency": 3,
                "task": {"task_key": "it", "max_retries": 1,
                         "command_task": {"command": ["sh", "-c", "exit {{input}}"]}}}},
            {"task_key": "after", "depends_on": [{"task_key": "each"}],
             "command_task": {"command": ["true"]}}]}
        run, _ = e.run(e.job("febad.json", bad), want_exit=1)
        r = results(run)
        check(r["each"] == "FAILED" and r["after"] == "UPSTREAM_FAILED",
              "failing for_each %r" % r)
        tries = [t for t in run["tasks"] if t["task_key"] == "each[1]"]
        check(len(tries) == 2, "failed iteration retried once: %d" % len(tries))
        each = [t for t in run["tasks"] if t["task_key"] == "each"][0]
        check(each["state"]["state_message"] == "2 of 3 iteration(s) succeeded",
              "message %r" % each["state"]["state_message"])
        # The nested task's timeout_seconds applies to each iteration.
        slow = {"name": "feslow", "tasks": [{"task_key": "each", "for_each_task": {
            "inputs": "[1, 30]", "concurrency": 2,
            "task": {"task_key": "it", "timeout_seconds": 2,
                     "command_task": {"command": ["sleep", "{{input}}"]}}}}]}
        run, _ = e.run(e.job("feslow.json", slow), want_exit=1)
        r = results(run)
        check(r["each[0]"] == "SUCCESS" and r["each[1]"] == "TIMEDOUT" and
              r["each"] == "FAILED", "iteration timeout %r" % r)
        # Not an array: the task fails with a message.
        nar = {"name": "fenar", "tasks": [{"task_key": "each", "for_each_task": {
            "inputs": json.dumps({"a": 1}),
            "task": {"task_key": "it", "command_task": {"command": ["true"]}}}}]}
        run, _ = e.run(e.job("fenar.json", nar), want_exit=1)
        check("JSON array" in run["tasks"][0]["state"]["state_message"],
              "not an array message")
    finally:
        e.close()
    print("ok")


main()
