"""Silver is incremental: a second cleanse reads only bronze versions it
has not processed; late duplicates (same event_id, later timestamp)
replace the older silver rows; benchmark_logs gets a row per run."""
import re

from pipeline_helpers import (Broker, check, cleanse, delta_state, expected,
                              ingest, produce, query, table, tmp_home)

home = tmp_home("silver")


def read_count(out):
    m = re.search(r"read (\d+) rows", out)
    check(m, "cleanse status line: " + out)
    return int(m.group(1))


with Broker(home, partitions=2):
    first = produce(home, 1000, seed=5, duplicates=0.1)
    ingest(home, "--available-now")
    out = cleanse(home).stdout
    check(read_count(out) == 1000, "first cleanse: " + out)
    v1, _, txns = delta_state(table(home, "silver_events"))
    check(txns.get("silver_cleanse:bronze_events") is not None,
          "silver lacks its bronze txn")

    out = cleanse(home).stdout
    check(read_count(out) == 0, "second cleanse re-read bronze: " + out)
    check(delta_state(table(home, "silver_events"))[0] == v1,
          "a cleanse with no new bronze changed silver")

    # Same seed and ids, produced later: every event comes again with a
    # later timestamp (a late duplicate of each silver row).
    second = produce(home, 1000, seed=5, duplicates=0.1)
    ingest(home, "--available-now")
    out = cleanse(home).stdout
    check(read_count(out) == 1000, "third cleanse should read only the new "
          "bronze rows: " + out)
    m = re.search(r"replaced (\d+) \(rewrote (\d+) files\)", out)
    check(m and int(m.group(1)) > 0 and int(m.group(2)) > 0,
          "late duplicates did not replace silver rows: " + out)

    out = cleanse(home, "--optimize", "--zorder-by", "timestamp").stdout
    check("optimized silver_events" in out, "optimize: " + out)

_, _, silver = expected(first + second)
rows = query(table(home, "silver_events"),
             "event_id, CAST(epoch_us(timestamp) AS BIGINT) AS ts")
check(len(rows) == len(silver), "silver has %d rows, want %d" %
      (len(rows), len(silver)))
ids = [r["event_id"] for r in rows]
check(len(ids) == len(set(ids)), "silver has duplicate event_ids")
for r in rows:
    check(int(r["ts"]) == silver[r["event_id"]]["ts_us"],
          "event %s kept an older timestamp" % r["event_id"])
b = query(table(home, "benchmark_logs"), "task, rows")
check(len(b) == 4 and all(x["task"] == "silver_write" for x in b),
      "benchmark_logs rows: %s" % b)
print("1 passed, 0 failed")
