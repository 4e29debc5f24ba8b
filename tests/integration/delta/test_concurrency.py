"""Concurrent writers and crash safety: two processes appending 200
commits each produce 400 new contiguous versions with no row lost;
kill -9 during a write leaves the table readable at its previous version
and VACUUM (retention 0, forced) removes the orphan files; a repeated
--app-txn import is recognised as already committed."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deltatest import JOBCTL, TmpHome, check, finish, jobctl  # noqa: E402

N = 200


def writer(home, tag, errors):
    src = os.path.join(home.dir, "w%s.jsonl" % tag)
    for i in range(N):
        with open(src, "w") as f:
            f.write(json.dumps({"writer": tag, "seq": i, "id": "%s-%d" % (tag, i)})
                    + "\n")
        p = jobctl("table", "import", "events", "--from", src, env=home.env,
                   check=False)
        if p.returncode != 0:
            errors.append(p.stderr)


def log_versions(table_dir):
    names = os.listdir(os.path.join(table_dir, "_delta_log"))
    return sorted(int(n[:20]) for n in names
                  if len(n) == 25 and n.endswith(".json") and n[:20].isdigit())


def test_concurrent(home):
    src = os.path.join(home.dir, "seed.jsonl")
    with open(src, "w") as f:
        f.write(json.dumps({"writer": "seed", "seq": 0, "id": "seed"}) + "\n")
    jobctl("table", "import", "events", "--from", src, "--schema",
           "writer:string,seq:long,id:string", env=home.env)
    base = json.loads(jobctl("table", "describe", "events", "--json",
                             env=home.env).stdout)["version"]
    errors = []
    threads = [threading.Thread(target=writer, args=(home, t, errors))
               for t in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, "writers failed: %s" % errors[:3])
    desc = json.loads(jobctl("table", "describe", "events", "--json",
                             env=home.env).stdout)
    check(desc["version"] == base + 2 * N, "version %d, want %d" % (
        desc["version"], base + 2 * N))
    vs = log_versions(desc["path"])
    check(vs == list(range(0, base + 2 * N + 1)), "log versions not contiguous")
    rows = [json.loads(line) for line in jobctl(
        "table", "show", "events", "--format", "jsonl",
        env=home.env).stdout.splitlines()]
    ids = sorted(r["id"] for r in rows)
    want = sorted(["seed"] + ["%s-%d" % (t, i) for t in "ab" for i in range(N)])
    check(ids == want, "rows lost or duplicated: %d rows, want %d" % (
        len(ids), len(want)))
    hist = json.loads(jobctl("table", "history", "events", "--json",
                             env=home.env).stdout)
    check(len(hist) == base + 2 * N + 1, "history has %d entries" % len(hist))
    check(all(h["operation"] == "WRITE" for h in hist[:2 * N]),
          "unexpected operations in history")
    check(desc["checkpoint_used"] is not None, "no checkpoint was written")
    print("concurrent: %d writers x %d commits -> version %d, %d rows" % (
        2, N, desc["version"], len(rows)))


def test_crash(home):
    src = os.path.join(home.dir, "seed.jsonl")
    with open(src, "w") as f:
        for i in range(10):
            f.write(json.dumps({"k": i % 3, "v": i, "s": "x%d" % i}) + "\n")
    jobctl("table", "import", "crashy", "--from", src, "--schema",
           "k:long,v:long,s:string", "--partition-by", "k", env=home.env)
    before = json.loads(jobctl("table", "describe", "crashy", "--json",
                               env=home.env).stdout)
    rows_before = sorted(jobctl("table", "show", "crashy", "--format", "jsonl",
                                env=home.env).stdout.splitlines())
    tdir = before["path"]
    known = set()
    for root, _, files in os.walk(tdir):
        for n in files:
            known.add(os.path.join(root, n))
    big = os.path.join(home.dir, "big.jsonl")
    killed = False
    for attempt, nrows in enumerate((200000, 600000, 1500000)):
        with open(big, "w") as f:
            for i in range(nrows):
                f.write('{"k":%d,"v":%d,"s":"payload-%d"}\n' % (i % 60, i, i))
        env = dict(os.environ)
        env.update(home.env)
        p = subprocess.Popen([JOBCTL, "table", "import", "crashy", "--from",
                              big], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while time.time() < deadline and p.poll() is None:
            new = [os.path.join(r, n) for r, _, fs in os.walk(tdir) for n in fs
                   if n.endswith(".parquet") and os.path.join(r, n) not in known]
            if new:
                p.send_signal(signal.SIGKILL)
                killed = True
                break
            time.sleep(0.002)
        p.wait()
        if killed and p.returncode == -signal.SIGKILL:
            break
        killed = False
        for r, _, fs in os.walk(tdir):
            for n in fs:
                known.add(os.path.join(r, n))
        if json.loads(jobctl("table", "describe", "crashy", "--json",
                             env=home.env).stdout)["version"] != before["version"]:
            # the import finished before we could kill it: start over
            jobctl("table", "import", "crashy", "--from", src, "--mode",
                   "overwrite", env=home.env)
            before = json.loads(jobctl("table", "describe", "crashy", "--json",
                                       env=home.env).stdout)
            rows_before = sorted(jobctl("table", "show", "crashy", "--format",
                                        "jsonl", env=home.env).stdout.splitlines())
            for r, _, fs in os.walk(tdir):
                for n in fs:
                    known.add(os.path.join(r, n))
    check(killed, "could not kill the import during its write")
    after = json.loads(jobctl("table", "describe", "crashy", "--json",
                              env=home.env).stdout)
    check(after["version"] == before["version"], "version moved to %d" %
          after["version"])
    rows_after = sorted(jobctl("table", "show", "crashy", "--format", "jsonl",
                               env=home.env).stdout.splitlines())
    check(rows_after == rows_before, "rows changed after the crash")
    jobctl("table", "check", "crashy", env=home.env)
    orphans = [os.path.join(r, n) for r, _, fs in os.walk(tdir) for n in fs
               if n.endswith(".parquet") and "_delta_log" not in r
               and os.path.join(r, n) not in known]
    check(orphans, "no orphan data files were left by the killed write")
    # VACUUM: default retention keeps young orphans; < 7 days is refused
    p = jobctl("table", "vacuum", "crashy", "--retain-hours", "0",
               env=home.env, check=False)
    check(p.returncode != 0 and "retention" in p.stderr,
          "retention below 168h was not refused: %r" % p.stderr)
    out = jobctl("table", "vacuum", "crashy", env=home.env).stdout
    check(all(os.path.exists(o) for o in orphans),
          "default retention deleted young files: %s" % out)
    out = jobctl("table", "vacuum", "crashy", "--retain-hours", "0", "--force",
                 "--dry-run", env=home.env).stdout
    check(all(os.path.exists(o) for o in orphans), "dry run deleted files")
    check(str(len(orphans)) in out, "dry run output: %s" % out)
    jobctl("table", "vacuum", "crashy", "--retain-hours", "0", "--force",
           env=home.env)
    check(not any(os.path.exists(o) for o in orphans), "orphans survived VACUUM")
    rows_v = sorted(jobctl("table", "show", "crashy", "--format", "jsonl",
                           env=home.env).stdout.splitlines())
    check(rows_v == rows_before, "VACUUM changed the table's rows")
    jobctl("table", "check", "crashy", env=home.env)
    print("crash: killed a write, table stayed at version %d, %d orphans "
          "vacuumed" % (after["version"], len(orphans)))


def test_exactly_once(home):
    src = os.path.join(home.dir, "b.jsonl")
    with open(src, "w") as f:
        f.write('{"x": 1}\n{"x": 2}\n')
    jobctl("table", "import", "once", "--from", src, "--app-txn", "loader:7",
           env=home.env)
    v1 = json.loads(jobctl("table", "describe", "once", "--json",
                           env=home.env).stdout)
    check(v1["txns"]["loader"]["version"] == 7, "txn not recorded: %r" % v1["txns"])
    out = jobctl("table", "import", "once", "--from", src, "--app-txn",
                 "loader:7", env=home.env).stdout
    check("already committed" in out, "second import: %r" % out)
    v2 = json.loads(jobctl("table", "describe", "once", "--json",
                           env=home.env).stdout)
    check(v2["version"] == v1["version"], "repeated batch was committed again")
    rows = jobctl("table", "show", "once", "--format", "jsonl",
                  env=home.env).stdout.splitlines()
    check(len(rows) == 2, "rows: %r" % rows)


def main():
    with TmpHome() as home:
        test_exactly_once(home)
        test_concurrent(home)
        test_crash(home)
    finish()


if __name__ == "__main__":
    main()
