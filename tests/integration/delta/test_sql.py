"""jobctl sql over Delta tables: the seed's queries run verbatim,
timestamps come back as ISO text, WHERE constraints on a z-ordered column
read fewer files (counted with --stats) and return the same rows as a
full scan, partition filters skip files, DESCRIBE HISTORY works, and the
runs view appears when a jobctl.db exists."""
import json
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deltatest import TmpHome, check, finish, jobctl  # noqa: E402


def stats(stderr):
    m = re.search(r"files_total=(\d+) files_skipped=(\d+) files_read=(\d+)",
                  stderr)
    assert m, stderr
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def sql(home, q, *extra):
    p = jobctl("sql", q, "--format", "jsonl", "--stats", *extra, env=home.env)
    rows = [json.loads(line) for line in p.stdout.splitlines() if line]
    return rows, stats(p.stderr)


def write(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def test_seed_queries(home):
    src = os.path.join(home.dir, "m.jsonl")
    write(src, [{"run_time": "2024-05-0%dT10:00:00Z" % d, "late_events": d,
                 "total_events": 100 * d} for d in (3, 1, 2)])
    jobctl("table", "import", "monitor_logs", "--from", src, "--schema",
           "run_time:timestamp,late_events:long,total_events:long",
           env=home.env)
    rows, _ = sql(home, "SELECT * FROM monitor_logs ORDER BY run_time DESC")
    check([r["run_time"] for r in rows] == [
        "2024-05-03T10:00:00.000000Z", "2024-05-02T10:00:00.000000Z",
        "2024-05-01T10:00:00.000000Z"], "monitor_logs order: %r" % rows)
    gold = []
    for i in range(100):
        gold.append({"event_id": "e%d" % i, "event_type": "t%d" % (i % 3),
                     "value": i * 1.5, "anomaly_score": -((i * 37) % 100) / 100.0,
                     "anomaly_flag": -1 if i % 10 == 0 else 1})
    write(src, gold)
    jobctl("table", "import", "gold_anomaly_predictions", "--from", src,
           "--schema", "event_id:string,event_type:string,value:double,"
           "anomaly_score:double,anomaly_flag:integer",
           "--partition-by", "event_type", env=home.env)
    rows, _ = sql(home, "SELECT * \nFROM gold_anomaly_predictions \n"
                        "WHERE anomaly_flag = -1 \nORDER BY anomaly_score ASC \n"
                        "LIMIT 20")
    want = sorted((g for g in gold if g["anomaly_flag"] == -1),
                  key=lambda g: g["anomaly_score"])[:20]
    check([r["event_id"] for r in rows] == [w["event_id"] for w in want],
          "top anomalies: %r" % [r["event_id"] for r in rows])
    # partition pruning: event_type is the partition column
    rows, (total, skipped, read) = sql(
        home, "SELECT count(*) AS n FROM gold_anomaly_predictions "
              "WHERE event_type = 't1'")
    check(rows == [{"n": 33}], "partition count %r" % rows)
    check(total == 3 and read == 1 and skipped == 2,
          "partition pruning read %d of %d files" % (read, total))
    # another collation must not be answered from byte-wise file skipping
    rows, (total, skipped, read) = sql(
        home, "SELECT count(*) AS n FROM gold_anomaly_predictions "
              "WHERE event_type = 'T1' COLLATE NOCASE")
    check(rows == [{"n": 33}] and skipped == 0,
          "NOCASE: %r, skipped %d" % (rows, skipped))


def test_zorder_skipping(home):
    src = os.path.join(home.dir, "z.jsonl")
    n = 0
    allrows = []
    for chunk in range(8):
        rows = []
        for k in range(2500):
            j = chunk * 2500 + k
            rows.append({"id": j, "x": (j * 7919) % 10000, "y": (j * 104729) % 5000,
                         "v": (j % 97) * 1.0})
        write(src, rows)
        allrows += rows
        jobctl("table", "import", "points", "--from", src, "--schema",
               "id:long,x:long,y:long,v:double", env=home.env)
        n += len(rows)
    q = "SELECT count(*) AS n, sum(v) AS s FROM points WHERE x < 800 AND y >= 100"
    want_n = sum(1 for r in allrows if r["x"] < 800 and r["y"] >= 100)
    want_s = sum(r["v"] for r in allrows if r["x"] < 800 and r["y"] >= 100)
    before, (total, skipped, read) = sql(home, q)
    check(before == [{"n": want_n, "s": want_s}], "before: %r" % before)
    check(read == total == 8, "before optimize read %d of %d" % (read, total))
    out = jobctl("table", "optimize", "points", "--zorder-by", "x,y",
                 "--target-rows", "1250", env=home.env).stdout
    check("z-ordered" in out, out)
    after, (total2, skipped2, read2) = sql(home, q)
    check(after == before, "after optimize: %r vs %r" % (after, before))
    check(total2 == 16 and read2 < total2 // 2,
          "z-order skipping read %d of %d files" % (read2, total2))
    # full scan of all rows is unchanged (OPTIMIZE is dataChange=false)
    rows, (_, _, r3) = sql(home, "SELECT id FROM points")
    check(sorted(r["id"] for r in rows) == list(range(n)), "rows changed")
    check(r3 == total2, "full scan skipped files")
    hist = json.loads(jobctl("table", "history", "points", "--json",
                             env=home.env).stdout)
    check(hist[0]["operation"] == "OPTIMIZE" and
          hist[0]["operationParameters"]["zOrderBy"] == '["x","y"]',
          "history: %r" % hist[0])
    p = jobctl("sql", "DESCRIBE HISTORY points", "--format", "jsonl",
               env=home.env)
    h = [json.loads(line) for line in p.stdout.splitlines()]
    check(h[0]["operation"] == "OPTIMIZE" and len(h) == 10,
          "DESCRIBE HISTORY: %r" % h[:2])
    print("z-order: WHERE read %d of %d files (before: %d of %d), same result"
          % (read2, total2, read, total))


def test_runs_view(home):
    db = sqlite3.connect(os.path.join(home.dir, "jobctl.db"))
    db.execute("CREATE TABLE runs (run_id INTEGER PRIMARY KEY, state TEXT)")
    db.execute("INSERT INTO runs VALUES (1, 'SUCCESS'), (2, 'FAILED')")
    db.commit()
    db.close()
    rows, _ = sql(home, "SELECT state FROM runs ORDER BY run_id")
    check(rows == [{"state": "SUCCESS"}, {"state": "FAILED"}], "runs: %r" % rows)
    p = jobctl("sql", "DELETE FROM runs", env=home.env, check=False)
    check(p.returncode != 0, "the runs view was writable")


def main():
    with TmpHome() as home:
        test_seed_queries(home)
        test_zorder_skipping(home)
        test_runs_view(home)
    finish()


if __name__ == "__main__":
    main()
