"""--continuous: the ingest keeps consuming in micro-batches (linger), new
messages land while it runs, and SIGTERM commits what it has and exits 0."""
import os
import signal
import subprocess
import time

from pipeline_helpers import (BIN, Broker, check, check_bronze, delta_state,
                              env_for, expected, produce, query, table,
                              tmp_home)

home = tmp_home("cont")
with Broker(home, partitions=3):
    first = produce(home, 300, seed=21, malformed=0.1)
    p = subprocess.Popen([os.path.join(BIN, "jobctl-bronze-ingest"),
                          "--continuous", "--linger-ms", "100"],
                         env=env_for(home), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)

    def committed():
        try:
            return sum(delta_state(table(home, "bronze_events"))[2].values())
        except (FileNotFoundError, ValueError):
            return 0

    def wait_for(n):
        deadline = time.time() + 60
        while committed() < n and time.time() < deadline:
            check(p.poll() is None, "continuous ingest exited early")
            time.sleep(0.1)
        check(committed() >= n, "offsets stuck at %d, want %d" %
              (committed(), n))

    wait_for(300)
    second = produce(home, 200, seed=22, malformed=0.1, first_id=5000)
    wait_for(500)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    check(p.returncode == 0, "exit %d after SIGTERM: %s" % (p.returncode, err))
    check(delta_state(table(home, "bronze_events"))[0] >= 2,
          "expected several micro-batch commits")
    check_bronze(home, first + second)

# SIGTERM (a cancelled job) during --available-now: what was read is
# committed, the exit code is 75 (retryable) unless it had already
# finished, and a re-run completes the topic exactly once.
with Broker(home, partitions=3):
    third = produce(home, 200000, seed=23, first_id=10 ** 6)
    p = subprocess.Popen([os.path.join(BIN, "jobctl-bronze-ingest"),
                          "--available-now", "--batch-size", "20000"],
                         env=env_for(home), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    check(p.returncode in (0, 75), "exit %d after SIGTERM: %s" %
          (p.returncode, err))
    if p.returncode == 75:
        check("interrupted" in err, "no interruption message: " + err)
    p = subprocess.run([os.path.join(BIN, "jobctl-bronze-ingest"),
                        "--available-now"], env=env_for(home),
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "re-run failed: " + p.stderr)
rows = query(table(home, "bronze_events"), "count(*) AS n")
want = len(expected(first + second + third)[0])
check(int(rows[0]["n"]) == want,
      "bronze rows after the interrupted run: %s, want %d" % (rows, want))
print("1 passed, 0 failed")
