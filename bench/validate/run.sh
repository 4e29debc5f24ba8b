#!/usr/bin/env python3
"""bench/validate: load + validate a job with BENCH_TASKS tasks (default
10,000, a layered DAG with up to 3 parents per task and some {{tasks.*}}
references), as JSON and as bundle YAML, with `jobctl validate`.
Baseline: CPython doing the subset it can do with the standard library on
the same JSON file (json.load, duplicate keys, unknown depends_on,
graphlib cycle check). Best of 5 runs of CPU time (user+sys of the child,
so the figures hold on a busy shared machine), process start included.
Env: BUILD (default build), BENCH_TASKS.
"""
import os
import random
import subprocess
import sys
import tempfile
import resource

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BIN = os.path.join(ROOT, os.environ.get("BUILD", "build"), "bin", "jobctl")
N = int(os.environ.get("BENCH_TASKS", "10000"))

BASELINE = r'''
import json, sys, graphlib
with open(sys.argv[1]) as f:
    job = json.load(f)
tasks = job["tasks"]
keys = {}
for t in tasks:
    if t["task_key"] in keys:
        sys.exit("duplicate")
    keys[t["task_key"]] = t
ts = graphlib.TopologicalSorter()
for t in tasks:
    deps = [d["task_key"] for d in t.get("depends_on", [])]
    for d in deps:
        if d not in keys:
            sys.exit("unknown dep")
    ts.add(t["task_key"], *deps)
order = list(ts.static_order())
print("ok", len(order))
'''


def make_job(n):
    rnd = random.Random(1)
    tasks = []
    for i in range(n):
        t = {"task_key": "t%05d" % i,
             "command_task": {"command": ["echo", "task %d" % i]},
             "max_retries": 1, "timeout_seconds": 60}
        if i:
            parents = sorted({rnd.randrange(max(0, i - 50), i)
                              for _ in range(rnd.randint(1, 3))})
            t["depends_on"] = [{"task_key": "t%05d" % p} for p in parents]
            if i % 10 == 0:
                t["command_task"]["command"].append(
                    "{{tasks.t%05d.values.rows}}" % parents[0])
        tasks.append(t)
    return {"name": "bench", "schedule": {
        "quartz_cron_expression": "0 0/15 * * * ?",
        "timezone_id": "Europe/Berlin"}, "tasks": tasks}


def to_yaml(job):
    out = ["bundle: {name: bench}", "resources:", "  jobs:", "    bench:",
           "      name: bench", "      tasks:"]
    for t in job["tasks"]:
        out.append("        - task_key: %s" % t["task_key"])
        if "depends_on" in t:
            out.append("          depends_on: [%s]" % ", ".join(
                "{task_key: %s}" % d["task_key"] for d in t["depends_on"]))
        out.append("          max_retries: 1")
        out.append("          command_task:")
        out.append("            command: [%s]" % ", ".join(
            '"%s"' % a for a in t["command_task"]["command"]))
    return "\n".join(out) + "\n"


def best(cmd, runs=5):
    times = []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        p = subprocess.run(cmd, capture_output=True, text=True)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
        if p.returncode != 0:
            sys.exit("failed: %s\n%s%s" % (cmd, p.stdout, p.stderr))
    return min(times)


def main():
    import json
    with tempfile.TemporaryDirectory() as tmp:
        job = make_job(N)
        jpath = os.path.join(tmp, "big.json")
        ypath = os.path.join(tmp, "databricks.yml")
        with open(jpath, "w") as f:
            json.dump(job, f)
        with open(ypath, "w") as f:
            f.write(to_yaml(job))
        bpath = os.path.join(tmp, "baseline.py")
        with open(bpath, "w") as f:
            f.write(BASELINE)
        jc_json = best([BIN, "validate", jpath])
        jc_yaml = best([BIN, "validate", ypath])
        py = best([sys.executable, bpath, jpath])
        size = os.path.getsize(jpath) / 1e6
    print("validate %d tasks (JSON %.1f MB), best of 5, CPU seconds"
          % (N, size))
    print("%-44s %9s %9s" % ("", "cpu s", "speedup"))
    print("%-44s %9.3f %9s" % ("baseline: python3 json+graphlib (JSON)", py,
                               "1.00x"))
    print("%-44s %9.3f %8.2fx" % ("jobctl validate (JSON, all checks)",
                                  jc_json, py / jc_json))
    print("%-44s %9.3f %8.2fx" % ("jobctl validate (bundle YAML, all checks)",
                                  jc_yaml, py / jc_yaml))


if __name__ == "__main__":
    main()
