"""Benchmark driver for bench/sched/run.sh (see there). Prints a table:
wall time of jobctl and make, the ratio, and jobctl's own CPU per task
(its rusage minus the CPU of the task processes it reaped, which the
store records per attempt)."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time


def gen(layers, width):
    tasks = []
    mk = ["all: " + " ".join("t%d_%d" % (layers - 1, i) for i in range(width)),
          ""]
    for l in range(layers):
        for i in range(width):
            key = "t%d_%d" % (l, i)
            deps = []
            if l:
                deps = ["t%d_%d" % (l - 1, (i + k) % width) for k in range(3)]
            tasks.append({"task_key": key,
                          "depends_on": [{"task_key": d} for d in deps],
                          "command_task": {"command": ["true"]}})
            mk.append(".PHONY: %s\n%s: %s\n\t@true\n" % (key, key, " ".join(deps)))
    return {"name": "sched_bench", "tasks": tasks}, "\n".join(mk)


def timed(argv, env, cwd):
    t0 = time.monotonic()
    p = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    return wall, ru.ru_utime + ru.ru_stime, os.waitstatus_to_exitcode(status)


def timed_jobctl(argv, env, cwd):
    """Wall time to the run's result line (the DAG is done) and to exit
    (after the post-run SQLite -> Delta accounting mirror), jobctl's own
    CPU as it reports it (JOBCTL_RUSAGE_SELF, taken before the mirror)."""
    env = dict(env, JOBCTL_RUSAGE_SELF="1")
    errf = tempfile.TemporaryFile(mode="w+")
    t0 = time.monotonic()
    p = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE,
                         stderr=errf, text=True)
    done = None
    for line in p.stdout:
        if line.startswith("run ") and done is None:
            done = time.monotonic() - t0
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    errf.seek(0)
    selfcpu = None
    for line in errf:
        if line.startswith("rusage_self "):
            kv = dict(x.split("=") for x in line.split()[1:])
            selfcpu = float(kv["user"]) + float(kv["sys"])
    return (done or wall, wall, ru.ru_utime + ru.ru_stime, selfcpu,
            os.waitstatus_to_exitcode(status))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    bindir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "..", "..", "build", "bin")
    layers = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    width = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    jobctl = os.path.join(bindir, "jobctl")
    d = tempfile.mkdtemp(prefix="jc-bench-sched-")
    try:
        job, mk = gen(layers, width)
        with open(os.path.join(d, "job.json"), "w") as f:
            json.dump(job, f)
        with open(os.path.join(d, "Makefile"), "w") as f:
            f.write(mk)
        env = dict(os.environ, JOBCTL_HOME=os.path.join(d, "home"),
                   JOBCTL_LOG_LEVEL="warn", JOBCTL_NO_DAEMON="1")
        n = layers * width
        mw, mcpu, mrc = timed(["make", "-s", "-j2", "-f", "Makefile"], env, d)
        jw, jexit, jcpu, jself, jrc = timed_jobctl(
            [jobctl, "run", "job.json", "--parallel", "2"], env, d)
        db = sqlite3.connect(os.path.join(d, "home", "jobctl.db"))
        task_cpu, ntr = db.execute(
            "SELECT sum(cpu_user_s + cpu_sys_s), count(*) FROM task_runs"
        ).fetchone()
        res = db.execute("SELECT result_state FROM runs").fetchone()[0]
        db.close()
        own = jcpu - (task_cpu or 0.0)
        print("sched benchmark: %d tasks (%d layers x %d, 3 deps each), "
              "parallel 2" % (n, layers, width))
        print("%-26s %10s %12s %8s" % ("runner", "wall s", "cpu s", "exit"))
        print("%-26s %10.2f %12.2f %8d" % ("make -j2", mw, mcpu, mrc))
        print("%-26s %10.2f %12.2f %8d" % ("jobctl run --parallel 2", jw,
                                           jcpu, jrc))
        print("%-26s %10.2f" % ("  ... until process exit", jexit))
        print("wall ratio jobctl/make (DAG done): %.2fx (target <= 1.3x)"
              % (jw / mw))
        print("wall ratio jobctl/make (process exit, incl. Delta accounting "
              "mirror): %.2fx" % (jexit / mw))
        if jself is not None:
            print("jobctl own CPU, scheduler (getrusage SELF, load+run): "
                  "%.3f s = %.1f us/task (target < 200 us)"
                  % (jself, jself / n * 1e6))
        print("jobctl own CPU, whole process (wait4 minus task CPU): "
              "%.3f s = %.1f us/task" % (own, own / n * 1e6))
        print("run result: %s, attempts recorded: %d" % (res, ntr))
    finally:
        shutil.rmtree(d, ignore_errors=True)


main()
