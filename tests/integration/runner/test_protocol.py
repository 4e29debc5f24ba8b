"""The task protocol end to end: retries of a flaky task (state in a
file) honouring min_retry_interval_millis, task timeout -> TIMEDOUT and
retried with retry_on_timeout, forked grandchildren killed on timeout and
on Ctrl-C cancel, task values flowing downstream, parameters reaching
tasks as argv and env without any shell, dynamic references, env vars."""
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner_util import (Env, attempts, check, fail, kill_all, read_pids,  # noqa: E402
                         results, wait_for, wait_gone)

FLAKY = """#!/bin/sh
f="$JOBCTL_HOME/flaky.count"
n=$(cat "$f" 2>/dev/null || echo 0)
n=$((n+1))
echo $n > "$f"
echo "attempt $JOBCTL_ATTEMPT try $n"
[ $n -ge 3 ] && exit 0
exit 1
"""

# Forks two grandchildren that ignore SIGTERM; records every pid.
FORKER = """#!/bin/sh
trap '' TERM
sleep 1000 & echo $! >> "$JOBCTL_HOME/pids"
sleep 1000 & echo $! >> "$JOBCTL_HOME/pids"
echo $$ >> "$JOBCTL_HOME/pids"
echo ready
wait
"""

ECHO = """import json, os, sys
out = {"argv": sys.argv[1:],
       "env": {k: v for k, v in os.environ.items() if k.startswith("JOBCTL_")}}
with open(os.path.join(os.environ["JOBCTL_HOME"], "echo-%s.json" %
          os.environ["JOBCTL_TASK_KEY"]), "w") as f:
    json.dump(out, f)
with open(os.environ["JOBCTL_TASK_VALUES"], "a") as f:
    f.write("rows=1234\\n")
    f.write("path=/tmp/a b\\n")
"""

EVIL = "$(touch /tmp/jc-pwned); rm -rf ~ `id` 'q' \"d\""


def test_retries(e):
    e.script("flaky", FLAKY)
    run, _ = e.run(e.job("flaky.json", {"name": "flaky", "tasks": [
        {"task_key": "flaky", "max_retries": 2,
         "min_retry_interval_millis": 300,
         "notebook_task": {"notebook_path": "/Workspace/x/flaky"}}]}),
        want_exit=0)
    a = attempts(run, "flaky")
    check([t["attempt_number"] for t in a] == [0, 1, 2], "attempt numbers %r" % a)
    check([t["state"]["result_state"] for t in a] ==
          ["FAILED", "FAILED", "SUCCESS"], "flaky results")
    # The retry waits at least min_retry_interval_millis from the start of
    # the failed attempt (a guarantee, not a timing race).
    check(a[1]["start_time"] - a[0]["start_time"] >= 300, "retry interval")
    check(run["state"]["result_state"] == "SUCCESS", "flaky job result")
    # max_retries exhausted -> FAILED
    os.unlink(os.path.join(e.home, "flaky.count"))
    run, _ = e.run(e.job("flaky1.json", {"name": "flaky1", "tasks": [
        {"task_key": "flaky", "max_retries": 1,
         "notebook_task": {"notebook_path": "flaky"}}]}), want_exit=1)
    check(len(attempts(run, "flaky")) == 2, "max_retries 1 -> 2 attempts")


def test_timeout(e):
    e.script("forker.sh", FORKER, 0o644)
    pidfile = os.path.join(e.home, "pids")
    run, _ = e.run(e.job("timeout.json", {"name": "timeout", "tasks": [
        {"task_key": "slow", "timeout_seconds": 1, "max_retries": 1,
         "retry_on_timeout": True,
         "notebook_task": {"notebook_path": "forker"}},
        {"task_key": "noretry", "timeout_seconds": 1, "max_retries": 3,
         "notebook_task": {"notebook_path": "forker"}}]}), want_exit=1)
    a = attempts(run, "slow")
    check([t["state"]["result_state"] for t in a] == ["TIMEDOUT", "TIMEDOUT"],
          "retry_on_timeout attempts %r" % [t["state"] for t in a])
    check(len(attempts(run, "noretry")) == 1,
          "TIMEDOUT not retried without retry_on_timeout")
    check(a[0]["status"]["termination_details"]["code"] == "CANCELED",
          "timeout v2 code")
    pids = read_pids(pidfile)
    check(len(pids) == 9, "pids recorded: %r" % pids)
    left = wait_gone(pids)
    if left:
        kill_all(left)
        fail("processes left after timeout: %r" % left)
    os.unlink(pidfile)


def test_cancel(e):
    pidfile = os.path.join(e.home, "pids")
    path = e.job("cancel.json", {"name": "cancel", "tasks": [
        {"task_key": "slow", "notebook_task": {"notebook_path": "forker.sh"}},
        {"task_key": "after", "depends_on": [{"task_key": "slow"}],
         "command_task": {"command": ["true"]}}]})
    p = e.popen("run", path, "--workspace", e.ws)
    wait_for(lambda: len(read_pids(pidfile)) == 3, what="task started")
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    check(p.returncode == 1, "cancelled run exit %d: %s" % (p.returncode, err))
    pids = read_pids(pidfile)
    left = wait_gone(pids)
    if left:
        kill_all(left)
        fail("processes left after cancel: %r" % left)
    run_id = int(out.split()[1])
    run = e.show(run_id)
    check(run["state"]["result_state"] == "CANCELED", "run result CANCELED")
    check(results(run) == {"slow": "CANCELED", "after": "CANCELED"},
          "task results %r" % results(run))
    os.unlink(pidfile)


def test_values_params_refs(e):
    e.script("echo.py", ECHO, 0o644)
    job = {"name": "values", "parameters": [{"name": "env", "default": "dev"},
                                            {"name": "evil", "default": "x"}],
           "tasks": [
               {"task_key": "producer",
                "notebook_task": {"notebook_path": "/Users/u/echo",
                                  "base_parameters": {
                                      "run": "{{job.run_id}}",
                                      "me": "{{task.name}}",
                                      "day": "{{job.start_time.iso_date}}",
                                      "env": "overridden-by-job-param",
                                      "lit": "{{input.x}}"}}},
               {"task_key": "consumer",
                "depends_on": [{"task_key": "producer"}],
                "spark_python_task": {
                    "python_file": "dbfs:/x/echo.py",
                    "parameters": ["{{tasks.producer.values.rows}}",
                                   "{{tasks.producer.values.path}}",
                                   "{{job.parameters.evil}}"]}},
               {"task_key": "cmd", "depends_on": [{"task_key": "producer"}],
                "command_task": {"command": ["python3", "echo.py",
                                             "{{job.parameters.evil}}"],
                                 "env": {"EXTRA": "{{run.id}}"},
                                 "cwd": e.ws}},
               {"task_key": "badref", "depends_on": [{"task_key": "producer"}],
                "command_task": {"command": ["echo",
                                             "{{tasks.producer.values.nope}}"]}}]}
    run, _ = e.run(e.job("values.json", job), "--param", "evil=" + EVIL,
                   want_exit=1)
    rid = run["run_id"]
    r = results(run)
    check(r["producer"] == "SUCCESS" and r["consumer"] == "SUCCESS" and
          r["cmd"] == "SUCCESS", "results %r" % r)
    check(r["badref"] == "FAILED", "unresolvable task value fails the task")
    with open(os.path.join(e.home, "echo-producer.json")) as f:
        prod = json.load(f)
    argv = prod["argv"]
    check("--run=%d" % rid in argv, "run id ref in argv %r" % argv)
    check("--me=producer" in argv, "task.name ref")
    check("--env=dev" in argv, "job param wins over base_parameters")
    check("--evil=" + EVIL in argv, "evil param literal in argv %r" % argv)
    check("--lit={{input.x}}" in argv, "unknown namespace left literally")
    check(any(a.startswith("--day=20") for a in argv), "start_time ref")
    env = prod["env"]
    check(env["JOBCTL_PARAM_EVIL"] == EVIL, "evil param literal in env")
    check(env["JOBCTL_PARAM_RUN"] == str(rid), "base param in env")
    check(env["JOBCTL_RUN_ID"] == str(rid), "JOBCTL_RUN_ID")
    check(env["JOBCTL_TASK_KEY"] == "producer", "JOBCTL_TASK_KEY")
    check(env["JOBCTL_ATTEMPT"] == "0", "JOBCTL_ATTEMPT")
    check(env["JOBCTL_HOME"] == os.path.realpath(e.home), "JOBCTL_HOME")
    check(env["JOBCTL_LAKE"] == os.path.realpath(e.home) + "/lake",
          "JOBCTL_LAKE")
    check("JOBCTL_JOB_ID" in env and "JOBCTL_TASK_VALUES" in env, "env vars")
    with open(os.path.join(e.home, "echo-consumer.json")) as f:
        cons = json.load(f)
    check(cons["argv"] == ["1234", "/tmp/a b", EVIL],
          "task values downstream %r" % cons["argv"])
    with open(os.path.join(e.home, "echo-cmd.json")) as f:
        cmd = json.load(f)
    check(cmd["argv"] == [EVIL], "command_task argv %r" % cmd["argv"])
    check(not os.path.exists("/tmp/jc-pwned"), "no shell ran the parameter")
    # resolved values are recorded per attempt
    prod_t = [t for t in run["tasks"] if t["task_key"] == "consumer"][0]
    check(prod_t["resolved_values"]["spark_python_task"]["parameters"][0] ==
          "1234", "resolved_values")


def main():
    e = Env()
    try:
        test_retries(e)
        test_timeout(e)
        test_cancel(e)
        test_values_params_refs(e)
    finally:
        kill_all(read_pids(os.path.join(e.home, "pids")))
        e.close()
    print("ok")


main()
