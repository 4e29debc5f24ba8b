"""End to end with the embedded broker and the real task programs: produce
events with known duplicates, late, anomalous and malformed messages, run
ingest -> cleanse -> monitor, and check every table holds exactly the
expected rows (read back with DuckDB)."""
import os

from pipeline_helpers import (Broker, check, check_bronze, cleanse, expected,
                              ingest, monitor, produce, query, table,
                              tmp_home, ts_us_of_duckdb)

home = tmp_home("e2e")
with Broker(home, partitions=4):
    manifest = produce(home, 3000, seed=7, duplicates=0.1, late=0.1,
                       anomalies=0.02, malformed=0.05)
    kinds = {m["kind"] for m in manifest}
    check({"duplicate", "late", "event"} <= kinds, "producer mix: %s" % kinds)
    out = ingest(home, "--available-now").stdout
    check("ingested" in out, "ingest status line: " + out)
    rows, q = check_bronze(home, manifest)
    # A micro-batch of all partitions is one bronze file (not one per
    # partition): few, big files for the readers downstream.
    bdir = table(home, "bronze_events")
    per_commit = {}
    for name in sorted(os.listdir(os.path.join(bdir, "_delta_log"))):
        if name.endswith(".json") and name[:20].isdigit():
            with open(os.path.join(bdir, "_delta_log", name)) as f:
                per_commit[name] = sum(1 for line in f if '"add"' in line)
    check(per_commit and max(per_commit.values()) == 1,
          "bronze commits should add one file each: %s" % per_commit)
    parts = {r["kafka_partition"] for r in rows}
    check(len(parts) == 4, "bronze rows come from partitions %s" % parts)
    bad = ingest(home, "--available-now", "--dictionary=maybe", check_rc=2)
    check("invalid --dictionary 'maybe'" in bad.stderr,
          "bad --dictionary: " + bad.stderr)

    cleanse(home)
    values = os.path.join(home, "values.txt")
    mon = monitor(home, extra_env={"JOBCTL_TASK_VALUES": values}).stdout

valid, invalid, silver = expected(manifest)
srows = query(table(home, "silver_events"),
              "event_id, event_type, value, timestamp_unix, "
              "CAST(epoch_us(timestamp) AS BIGINT) AS ts")
check(len(srows) == len(silver), "silver has %d rows, want %d (one per "
      "event_id)" % (len(srows), len(silver)))
for r in srows:
    e = silver.get(r["event_id"])
    check(e is not None, "unexpected silver event_id %s" % r["event_id"])
    check(int(r["ts"]) == e["ts_us"], "event %s: timestamp %s is not the "
          "latest (%d)" % (r["event_id"], r["ts"], e["ts_us"]))
    check(abs(float(r["value"]) - float(e["value"])) < 1e-9,
          "event %s: value %s" % (r["event_id"], r["value"]))
    check(r["event_type"] == e["event_type"], "event_type differs")
    check(int(r["timestamp_unix"]) == e["ts_us"] // 1000000,
          "timestamp_unix differs")

m = query(table(home, "monitor_logs"),
          "late_events, total_events, healthy, "
          "CAST(epoch_us(run_time) AS BIGINT) AS run_us")
check(len(m) == 1, "monitor_logs has %d rows" % len(m))
cutoff = int(m[0]["run_us"]) - 300 * 1000000
late = sum(1 for e in silver.values() if e["ts_us"] < cutoff)
check(late > 0, "the test needs late events")
check(int(m[0]["late_events"]) == late, "monitor late_events %s, want %d" %
      (m[0]["late_events"], late))
check(int(m[0]["total_events"]) == len(silver), "monitor total_events")
check(m[0]["healthy"] is False, "monitor healthy with late events")
check("%d late events detected" % late in mon, "monitor message: " + mon)
check("late_events=%d\n" % late in open(values).read(),
      "task value late_events missing")

# --fail-on-late makes late events a task failure; a wide threshold is
# healthy. Each run appends its own monitor_logs row.
monitor(home, "--fail-on-late", check_rc=1)
out = monitor(home, "--late-threshold-seconds", "86400").stdout
check(out.startswith("healthy: no late events"), "healthy message: " + out)
check(len(query(table(home, "monitor_logs"), "late_events")) == 3,
      "monitor_logs should have one row per run")

b = query(table(home, "benchmark_logs"), "task, rows, elapsed_seconds, bytes")
check(len(b) == 1 and b[0]["task"] == "silver_write",
      "benchmark_logs: %s" % b)
check(int(b[0]["rows"]) == len(silver) and int(b[0]["bytes"]) > 0,
      "benchmark_logs rows/bytes: %s" % b)
print("bronze %d, quarantine %d, silver %d, late %d" %
      (len(rows), len(q), len(srows), late))
print("1 passed, 0 failed")
