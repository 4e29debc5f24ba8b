"""kcat (a real Kafka client) produces to and consumes from the embedded
broker, and the broker removes its bootstrap file when stopped."""
import os
import subprocess

from pipeline_helpers import Broker, check, tmp_home

home = tmp_home("kcat")
with Broker(home, partitions=3, topics=["stream-input", "other"]) as b:
    msgs = ["{\"event_id\":\"%d\",\"value\":\"x\"}" % i for i in range(50)]
    p = subprocess.run(["kcat", "-P", "-b", b.bootstrap, "-t", "other",
                        "-K", ":"],
                       input="".join("k%d:%s\n" % (i, m)
                                     for i, m in enumerate(msgs)),
                       text=True, capture_output=True, timeout=30)
    check(p.returncode == 0, "kcat -P failed: " + p.stderr)
    p = subprocess.run(["kcat", "-C", "-b", b.bootstrap, "-t", "other",
                        "-e", "-q", "-f", "%k %s\\n"],
                       text=True, capture_output=True, timeout=30)
    check(p.returncode == 0, "kcat -C failed: " + p.stderr)
    got = sorted(p.stdout.splitlines())
    want = sorted("k%d %s" % (i, m) for i, m in enumerate(msgs))
    check(got == want, "kcat read back %d messages, want %d" %
          (len(got), len(want)))
    p = subprocess.run(["kcat", "-L", "-b", b.bootstrap, "-t", "stream-input"],
                       text=True, capture_output=True, timeout=30)
    check("3 partitions" in p.stdout, "stream-input lacks 3 partitions:\n" +
          p.stdout)
    lines = open(os.path.join(home, "kafka.bootstrap")).read().split("\n")
    check(lines[0] == b.bootstrap and lines[1].startswith("instance="),
          "kafka.bootstrap content: %r" % lines)
check(not os.path.exists(os.path.join(home, "kafka.bootstrap")),
      "kafka.bootstrap left behind after SIGTERM")
check(b.proc.returncode == 0, "broker exited %s" % b.proc.returncode)
print("1 passed, 0 failed")
