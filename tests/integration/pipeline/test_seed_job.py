"""The seed job runs unchanged: `jobctl run full_streaming_pipeline.json`
resolves the three notebook paths by basename in the workspace directory
to the C task programs (ingest -> cleanse -> monitor)."""
import os
import subprocess

from pipeline_helpers import (BIN, Broker, check, check_bronze, env_for,
                              expected, produce, query, table, tmp_home)

shared = os.environ.get("JOBCTL_SHARED_DIR", "../shared")
seed = os.path.join(shared, "seeds", "full_streaming_pipeline.json")
home = tmp_home("seed")
ws = os.path.join(home, "workspace")
os.makedirs(ws)
for name, prog in (("01_stream_kafka_to_bronze", "jobctl-bronze-ingest"),
                   ("02_bronze_to_silver_cleanse", "jobctl-silver-cleanse"),
                   ("03_monitor_silver_events", "jobctl-silver-monitor")):
    os.symlink(os.path.abspath(os.path.join(BIN, prog)),
               os.path.join(ws, name))
with Broker(home, partitions=3):
    manifest = produce(home, 1500, seed=3, duplicates=0.1, late=0.05,
                       malformed=0.05)
    p = subprocess.run([os.path.join(BIN, "jobctl"), "run", seed,
                        "--workspace", ws], env=env_for(home), cwd=home,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=150)
    check(p.returncode == 0, "jobctl run exited %d\n%s\n%s" %
          (p.returncode, p.stdout, p.stderr))
check_bronze(home, manifest)
_, _, silver = expected(manifest)
rows = query(table(home, "silver_events"), "event_id")
check(len(rows) == len(silver), "silver rows %d, want %d" %
      (len(rows), len(silver)))
m = query(table(home, "monitor_logs"), "late_events")
check(len(m) == 1, "monitor_logs rows: %s" % m)
print("1 passed, 0 failed")
