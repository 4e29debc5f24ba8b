"""The embedded broker keeps data in memory only: after a restart the topic
starts again at offset 0. Offsets are kept per Kafka cluster id (part of
the txn appId), so the ingest consumes the new broker's topic from its
beginning instead of skipping the offsets it had reached before, even when
the new topic grows past them."""
from pipeline_helpers import (Broker, check, expected, ingest, produce, query,
                              table, tmp_home)

home = tmp_home("reset")
with Broker(home, partitions=2):
    first = produce(home, 200, seed=31)
    ingest(home, "--available-now")
with Broker(home, partitions=2):
    second = produce(home, 500, seed=32, first_id=9000)
    p = ingest(home, "--available-now")
    check("ingested 500 events" in p.stdout, "second ingest: " + p.stdout)
    p = ingest(home, "--available-now")
    check("ingested 0 events" in p.stdout, "third ingest: " + p.stdout)
valid, _, _ = expected(first + second)
rows = query(table(home, "bronze_events"), "event_id")
check(sorted(r["event_id"] for r in rows) ==
      sorted(e["event_id"] for e in valid),
      "bronze has %d rows, want %d" % (len(rows), len(valid)))
print("1 passed, 0 failed")
