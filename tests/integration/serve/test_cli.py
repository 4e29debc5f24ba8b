"""test_cli: the jobctl CLI through a running daemon (JOBCTL_URL). `run
FILE --wait --junit` creates the job on the daemon, follows the run and
exits with its result; runs/show/logs/cancel/repair go through the API;
with no daemon listening the CLI falls back to embedded mode."""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import JOBCTL, Daemon, check, main, wait_for  # noqa: E402


def cli(d, *args, url=None, timeout=120):
    # a different home than the daemon's: only runs that went through the
    # daemon's API show up in it
    env = dict(os.environ, JOBCTL_URL=url or d.base,
               JOBCTL_HOME=os.path.join(d.tmp, "cli-home"))
    env.pop("JOBCTL_NO_DAEMON", None)
    if d.token:
        env["JOBCTL_TOKEN"] = d.token
    p = subprocess.run([JOBCTL] + list(args), cwd=d.tmp, env=env,
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def run():
    d = Daemon(token="cli-token").start()
    try:
        job = os.path.join(d.tmp, "job.json")
        with open(job, "w") as f:
            json.dump({"name": "cli-job",
                       "parameters": [{"name": "who", "default": "nobody"}],
                       "tasks": [
                           {"task_key": "a", "command_task": {"command": [
                               "sh", "-c", "echo hello-$JOBCTL_PARAM_WHO"]}},
                           {"task_key": "b", "depends_on": [{"task_key": "a"}],
                            "command_task": {"command": [
                                "sh", "-c", "test -e ok-flag"]}}]}, f)
        junit = os.path.join(d.tmp, "report.xml")
        rc, out, err = cli(d, "run", job, "--param", "who=ci", "--wait",
                           "--junit", junit)
        check(rc == 1, "failed run -> exit 1 (rc %d, %s %s)" % (rc, out, err))
        runs = d.api("GET", "runs/list?limit=25")["runs"]
        check(len(runs) == 1, "the run went to the daemon, not embedded")
        run_id = runs[0]["run_id"]
        suite = ET.parse(junit).getroot().find("testsuite")
        check(suite.get("tests") == "2" and suite.get("failures") == "1",
              "junit counts: %r" % suite.attrib)
        cases = {c.get("name"): c for c in suite.findall("testcase")}
        check(cases["b"].find("failure") is not None and
              cases["a"].find("failure") is None, "junit failure on b only")

        rc, out, _ = cli(d, "logs", str(run_id), "a")
        check(rc == 0 and "hello-ci" in out, "logs through the daemon: %r" % out)
        rc, out, _ = cli(d, "show", str(run_id), "--json")
        check(rc == 0 and json.loads(out)["run_id"] == run_id, "show --json")
        rc, out, _ = cli(d, "runs", "--json")
        check(rc == 0 and json.loads(out)[0]["run_id"] == run_id, "runs --json")

        open(os.path.join(d.tmp, "ok-flag"), "w").close()
        rc, out, err = cli(d, "repair", str(run_id))
        check(rc == 0, "repair: %s %s" % (out, err))
        r = d.wait_run(run_id)
        check(r["state"]["result_state"] == "SUCCESS", "repaired through CLI")

        rc, out, err = cli(d, "run", job, "--wait")
        check(rc == 0, "successful run -> exit 0 (%s %s)" % (out, err))

        with open(job, "w") as f:
            json.dump({"name": "cli-job", "tasks": [
                {"task_key": "s", "command_task": {"command": ["sleep", "60"]}}]}, f)
        rc, out, _ = cli(d, "run", job)
        check(rc == 0 and "started" in out, "run without --wait returns")
        latest = d.api("GET", "runs/list?limit=1")["runs"][0]["run_id"]
        wait_for(lambda: d.get_run(latest)["state"]["life_cycle_state"] == "RUNNING",
                 what="sleep running")
        rc, out, _ = cli(d, "cancel", str(latest))
        check(rc == 0, "cancel through the daemon")
        check(d.wait_run(latest, timeout=30)["state"]["result_state"] == "CANCELED",
              "canceled")
        # no daemon at JOBCTL_URL: embedded mode against the CLI's own home
        quick = os.path.join(d.tmp, "quick.json")
        with open(quick, "w") as f:
            json.dump({"name": "quick", "tasks": [
                {"task_key": "q", "command_task": {"command": ["true"]}}]}, f)
        before = len(d.api("GET", "runs/list?limit=25").get("runs", []))
        rc, out, err = cli(d, "run", quick, url="http://127.0.0.1:9")
        check(rc == 0, "embedded run without a daemon: %s %s" % (out, err))
        after = len(d.api("GET", "runs/list?limit=25").get("runs", []))
        check(after == before, "embedded run did not go to the daemon")
        check("cli-token" not in d.read_log(), "token not logged")
    finally:
        d.stop()
        d.cleanup()


if __name__ == "__main__":
    main(run)
