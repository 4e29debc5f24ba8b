"""Table maintenance and time travel from the CLI: show --timestamp picks
the latest commit at or before the time, OPTIMIZE bin-packs small files
without changing rows (dataChange=false), check reports a missing data
file, bad input names what is wrong."""
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deltatest import TmpHome, check, finish, jobctl  # noqa: E402


def main():
    with TmpHome() as home:
        src = os.path.join(home.dir, "r.jsonl")
        for k in range(5):
            with open(src, "w") as f:
                for i in range(4):
                    f.write(json.dumps({"id": k * 10 + i, "g": "g%d" % (i % 2)})
                            + "\n")
            jobctl("table", "import", "t", "--from", src, "--partition-by", "g",
                   env=home.env)
        desc = json.loads(jobctl("table", "describe", "t", "--json",
                                 env=home.env).stdout)
        log = os.path.join(desc["path"], "_delta_log")
        # commit times = file mtimes: pin them to known instants
        base = 1700000000
        for v in range(desc["version"] + 1):
            os.utime(os.path.join(log, "%020d.json" % v), (base + 100 * v,) * 2)
        rows = jobctl("table", "show", "t", "--timestamp",
                      str((base + 250) * 1000), "--format", "jsonl",
                      env=home.env).stdout.splitlines()
        check(len(rows) == 8, "timestamp travel to v2: %d rows" % len(rows))
        rows = jobctl("table", "show", "t", "--timestamp",
                      "2023-11-14T22:16:40Z", "--format", "jsonl",
                      env=home.env).stdout.splitlines()
        check(len(rows) == 8, "ISO timestamp travel (v2): %d rows" % len(rows))
        p = jobctl("table", "show", "t", "--timestamp", str((base - 5) * 1000),
                   env=home.env, check=False)
        check(p.returncode != 0 and "before the earliest" in p.stderr,
              "timestamp before v0: %r" % p.stderr)
        before = sorted(jobctl("table", "show", "t", "--format", "jsonl",
                               env=home.env).stdout.splitlines())
        out = jobctl("table", "optimize", "t", env=home.env).stdout
        check("removed 10 files" in out and "added 2 files" in out, out)
        after = json.loads(jobctl("table", "describe", "t", "--json",
                                  env=home.env).stdout)
        check(after["num_files"] == 2, "files after optimize: %d" %
              after["num_files"])
        rows = sorted(jobctl("table", "show", "t", "--format", "jsonl",
                             env=home.env).stdout.splitlines())
        check(rows == before, "optimize changed rows")
        last = open(os.path.join(log, "%020d.json" % after["version"])).read()
        acts = [json.loads(line) for line in last.splitlines()]
        check(all(a[k]["dataChange"] is False for a in acts for k in a
                  if k in ("add", "remove")), "optimize used dataChange=true")
        out = jobctl("table", "optimize", "t", env=home.env).stdout
        check("nothing to optimize" in out, out)
        jobctl("table", "check", "t", env=home.env)
        # a crashed commit's temp file is cleaned by VACUUM; commits are not
        stale = os.path.join(log, ".%020d.json.dead.tmp" % 99)
        with open(stale, "w") as f:
            f.write("partial")
        os.utime(stale, (base, base))
        out = jobctl("table", "vacuum", "t", "--retain-hours", "1", "--force",
                     env=home.env).stdout
        check(not os.path.exists(stale), "stale temp commit kept: %s" % out)
        check(len(os.listdir(log)) >= after["version"] + 1, "log files lost")
        check(json.loads(jobctl("table", "describe", "t", "--json",
                                env=home.env).stdout)["version"] ==
              after["version"], "vacuum changed the version")
        victim = os.path.join(after["path"],
                              urllib.parse.unquote(after["files"][0]["path"]))
        os.unlink(victim)
        p = jobctl("table", "check", "t", env=home.env, check=False)
        check(p.returncode == 1 and "missing file" in p.stdout,
              "check: %r %r" % (p.stdout, p.stderr))
        # bad input is named
        with open(src, "w") as f:
            f.write('{"id": 1}\n{"id": oops}\n')
        p = jobctl("table", "import", "u", "--from", src, env=home.env,
                   check=False)
        check(p.returncode == 1 and "r.jsonl':2:" in p.stderr, p.stderr)
        with open(src, "w") as f:
            f.write('{"id": 1}\n')
        p = jobctl("table", "import", "u", "--from", src, "--schema",
                   "id:lon", env=home.env, check=False)
        check(p.returncode == 1 and "'id'" in p.stderr, p.stderr)
        with open(src, "w") as f:
            f.write('{"id": "x"}\n')
        p = jobctl("table", "import", "u", "--from", src, "--schema", "id:long",
                   env=home.env, check=False)
        check(p.returncode == 1 and "column 'id'" in p.stderr and "row 1" in
              p.stderr, p.stderr)
        p = jobctl("table", "describe", "nosuch", env=home.env, check=False)
        check(p.returncode == 1 and "not a Delta table" in p.stderr, p.stderr)
    finish()


if __name__ == "__main__":
    main()
