#!/usr/bin/env python3
"""jobctl validate / schedule next, run as a user would.

- every tests/fixtures/jobs/broken/<f> gives exactly the lines in
  <f>.expected on stderr (file:line:col: message), nothing on stdout, exit 1
- the seed JSON and the bundle YAML validate with the same summary
- the examples validate; usage errors exit 2
- schedule next prints the fire times (UTC and local), DST gap skipped
"""
import os
import re
import subprocess
import sys
import tempfile

BIN = os.path.join(os.environ["JOBCTL_BIN_DIR"], "jobctl")
SRC = os.environ["JOBCTL_SOURCE_DIR"]
SHARED = os.environ["JOBCTL_SHARED_DIR"]
FAILS = []


def run(*args, cwd=SRC, env=None):
    e = dict(os.environ)
    e.pop("BUNDLE_VAR_cluster_id", None)
    if env:
        e.update(env)
    p = subprocess.run([BIN] + list(args), cwd=cwd, env=e,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL:", what)


def test_broken_fixtures():
    d = os.path.join("tests", "fixtures", "jobs", "broken")
    names = sorted(f for f in os.listdir(os.path.join(SRC, d))
                   if not f.endswith(".expected"))
    check(len(names) >= 15, "at least 15 broken fixtures")
    for n in names:
        rel = os.path.join(d, n)
        with open(os.path.join(SRC, rel + ".expected")) as f:
            want = f.read()
        rc, out, err = run("validate", rel)
        check(rc == 1, f"{n}: exit 1 (got {rc})")
        check(out == "", f"{n}: nothing on stdout (got {out!r})")
        check(err == want, f"{n}: stderr\n got: {err!r}\nwant: {want!r}")


def test_seed_and_bundle_agree():
    seed = os.path.join(SHARED, "seeds", "full_streaming_pipeline.json")
    rc, out, err = run("validate", seed)
    check(rc == 0 and err == "", f"seed validates ({rc}, {err!r})")
    check(out == f"{seed}: ok: job 'full_streaming_pipeline', 3 tasks, "
          "schedule '15 30 * * * ?' UTC\n", f"seed summary {out!r}")
    rc, out2, err = run("validate", "jobs/bundle/databricks.yml")
    check(rc == 0 and err == "", f"bundle validates ({rc}, {err!r})")
    # the default target is `mode: development`: the CLI prefixes the name
    # with "[dev <user>] " and pauses the schedule
    dev = re.sub(r"'\[dev [^]]*\] ", "'", out2).replace(" (paused)\n", "\n")
    check(dev.replace("jobs/bundle/databricks.yml", seed) == out
          and "(paused)" in out2 and "'[dev " in out2,
          f"bundle summary matches the seed: {out2!r}")
    rc, out3, err = run("validate", "-t", "prod", "jobs/bundle/databricks.yml")
    check(rc == 0 and out3.replace("jobs/bundle/databricks.yml", seed) == out,
          f"prod target summary matches the seed: {out3!r}")
    # prod target and --var are accepted
    rc, out, err = run("validate", "-t", "prod", "--var", "nb_root=/x",
                       "jobs/bundle/databricks.yml")
    check(rc == 0, f"prod target validates ({err!r})")
    rc, out, err = run("validate", "-t", "qa", "jobs/bundle/databricks.yml")
    check(rc == 1 and "unknown target 'qa' (defined: dev, prod)" in err,
          f"unknown target reported ({err!r})")


def test_examples_and_mixed():
    ex = sorted(os.path.join("jobs", "examples", f)
                for f in os.listdir(os.path.join(SRC, "jobs", "examples")))
    check(len(ex) >= 2, "examples exist")
    rc, out, err = run("validate", *ex)
    check(rc == 0 and err == "", f"examples validate ({err!r})")
    check(out.count(": ok: job '") == len(ex), f"one ok line per file {out!r}")
    # one bad file among good ones: exit 1, good ones still reported
    rc, out, err = run("validate", ex[0],
                       "tests/fixtures/jobs/broken/cycle.json")
    check(rc == 1 and ": ok: " in out and "dependency cycle: a -> b -> c -> a"
          in err, "mixed good/bad files")


def test_repo_jobs_validate():
    """CI gate: every job definition shipped in jobs/ validates."""
    found = []
    for root, dirs, files in os.walk(os.path.join(SRC, "jobs")):
        dirs[:] = [d for d in dirs if d != "workspace"]
        for f in files:
            if f.endswith((".json", ".yml", ".yaml")):
                rel = os.path.relpath(os.path.join(root, f), SRC)
                # bundle includes are validated through their root file
                if os.path.basename(root) == "resources":
                    continue
                found.append(rel)
    check(len(found) >= 4, f"job files found: {found}")
    for rel in sorted(found):
        rc, out, err = run("validate", rel)
        check(rc == 0 and err == "", f"{rel} validates: {err!r}")


def test_usage_and_missing():
    rc, out, err = run("validate")
    check(rc == 2 and "usage: jobctl validate" in err, f"no file: {rc} {err!r}")
    rc, out, err = run("validate", "--bogus", "x.json")
    check(rc == 2, f"unknown option exit 2 ({rc})")
    rc, out, err = run("validate", "does/not/exist.json")
    check(rc == 1 and err.startswith("does/not/exist.json: cannot open:"),
          f"missing file: {err!r}")


def test_schedule_next():
    seed = os.path.join(SHARED, "seeds", "full_streaming_pipeline.json")
    rc, out, err = run("schedule", "next", seed, "-n", "3", "--from",
                       "2026-01-01T00:00:00Z")
    check(rc == 0, f"schedule next ok ({err!r})")
    check(out == "2026-01-01T00:30:15Z  2026-01-01T00:30:15+00:00 (UTC)\n"
          "2026-01-01T01:30:15Z  2026-01-01T01:30:15+00:00 (UTC)\n"
          "2026-01-01T02:30:15Z  2026-01-01T02:30:15+00:00 (UTC)\n",
          f"seed fire times {out!r}")
    with tempfile.TemporaryDirectory() as tmp:
        job = os.path.join(tmp, "la.json")
        with open(job, "w") as f:
            f.write('{"name": "la", "schedule": {"quartz_cron_expression": '
                    '"0 0 2 * * ?", "timezone_id": "America/Los_Angeles"}, '
                    '"tasks": [{"task_key": "a", "command_task": '
                    '{"command": ["true"]}}]}')
        rc, out, err = run("schedule", "next", job, "-n", "3", "--from",
                           "2026-03-07")
        check(out == "2026-03-07T10:00:00Z  2026-03-07T02:00:00-08:00 "
              "(America/Los_Angeles)\n"
              "2026-03-09T09:00:00Z  2026-03-09T02:00:00-07:00 "
              "(America/Los_Angeles)\n"
              "2026-03-10T09:00:00Z  2026-03-10T02:00:00-07:00 "
              "(America/Los_Angeles)\n", f"DST gap skipped {out!r}")
        nosched = os.path.join(tmp, "n.json")
        with open(nosched, "w") as f:
            f.write('{"name": "n", "tasks": []}')
        rc, out, err = run("schedule", "next", nosched)
        check(rc == 1 and "has no schedule" in err, f"no schedule {err!r}")
    rc, out, err = run("schedule", "next", seed, "-n", "zero")
    check(rc == 2, "bad -n is a usage error")
    rc, out, err = run("schedule")
    check(rc == 2, "schedule without subcommand is a usage error")


def main():
    test_broken_fixtures()
    test_seed_and_bundle_agree()
    test_examples_and_mixed()
    test_repo_jobs_validate()
    test_usage_and_missing()
    test_schedule_next()
    if FAILS:
        print(f"{len(FAILS)} failure(s)")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
