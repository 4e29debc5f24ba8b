"""Exactly once: kill -9 the bronze ingest during consume, after writing
data files but before the commit, and between the bronze and quarantine
commits; every re-run resumes from the offsets stored in each table and
the tables end with every message exactly once. A stale writer replaying
an already committed range is rejected by the txn check."""
import os
import random
import subprocess
import time

from pipeline_helpers import (BIN, Broker, check, check_bronze, delta_state,
                              env_for, ingest, produce, table, tmp_home)

home = tmp_home("eo")
with Broker(home, partitions=4):
    manifest = produce(home, 4000, seed=11, duplicates=0.05, late=0.05,
                       malformed=0.1)
    small = ["--available-now", "--batch-size", "300"]
    for point in ("consume", "before_commit:3", "between_commits:2",
                  "between_commits:5", "before_commit:1"):
        p = ingest(home, *small, extra_env={"JOBCTL_INGEST_CRASH": point},
                   check_rc=None)
        check(p.returncode == -9, "crash point %s: exit %d\n%s" %
              (point, p.returncode, p.stderr))
    # kill -9 at arbitrary moments (whatever the process is doing then).
    rnd = random.Random(5)
    for _ in range(6):
        k = subprocess.Popen([os.path.join(BIN, "jobctl-bronze-ingest")] +
                             small, env=env_for(home),
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0.05, 0.4))
        k.kill()
        k.wait()
    v_before, files_before, _ = delta_state(table(home, "bronze_events"))
    check(v_before >= 1, "some batches were committed before the crashes")
    ingest(home, *small)
    check_bronze(home, manifest)
    _, _, txns = delta_state(table(home, "bronze_events"))
    ends = sorted(txns.values())
    check(sum(ends) == len(manifest), "bronze txn offsets %s do not add up "
          "to %d messages" % (ends, len(manifest)))

    # A re-run finds nothing new.
    out = ingest(home, "--available-now").stdout
    check("ingested 0 events, quarantined 0" in out, "re-run: " + out)

    # Replay: writer A reads the offsets, then B commits the same range
    # first; A's commit must be rejected (txn), not duplicated, and A stops
    # with the retryable exit code.
    more = produce(home, 500, seed=12, malformed=0.1, **{"first_id": 100000})
    hold = os.path.join(home, "hold")
    a = subprocess.Popen([os.path.join(BIN, "jobctl-bronze-ingest"),
                          "--available-now"],
                         env=env_for(home, {"JOBCTL_INGEST_HOLD": hold}),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    deadline = time.time() + 60
    while not os.path.exists(hold + ".waiting") and time.time() < deadline:
        if a.poll() is not None:
            check(False, "writer A exited early: %s" % (a.communicate(),))
        time.sleep(0.05)
    check(os.path.exists(hold + ".waiting"), "writer A never reached commit")
    t_b = time.time()
    b_out = ingest(home, "--available-now")  # writer B
    print("writer B (%.1fs): %s" % (time.time() - t_b, b_out.stdout.strip()))
    open(hold, "w").close()
    out, err = a.communicate(timeout=60)
    check(a.returncode == 75, "writer A exit %d (want 75, retryable): %s" %
          (a.returncode, err))
    check("already committed" in err, "writer A did not report the "
          "rejected replay:\n" + out + err)
    check_bronze(home, manifest + more)
print("1 passed, 0 failed")
