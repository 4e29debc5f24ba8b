"""KAFKA_API_KEY/KAFKA_API_SECRET become SASL_SSL + PLAIN settings, and the
secret appears nowhere: not in output, logs, errors, tables or files."""
import os

from pipeline_helpers import BIN, check, run, tmp_home

SECRET = "s3cr3t-DO-NOT-LEAK-4242"
home = tmp_home("secret")
conf = os.path.join(home, "kafka.properties")
with open(conf, "w") as f:
    f.write("# extra librdkafka properties\nclient.id = jobctl-test\n"
            "socket.timeout.ms=3000\nmessage.timeout.ms=3000\n")
env = {"KAFKA_BOOTSTRAP": "127.0.0.1:1", "KAFKA_API_KEY": "KEY123",
       "KAFKA_API_SECRET": SECRET, "KAFKA_CONFIG": conf,
       "JOBCTL_LOG_LEVEL": "debug"}
p = run([os.path.join(BIN, "jobctl-bronze-ingest"), "--print-config"], home,
        env, check_rc=0)
cfg = dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)
check(cfg.get("security.protocol", "").upper() == "SASL_SSL",
      "protocol: %s" % cfg.get("security.protocol"))
check(cfg.get("sasl.mechanisms") == "PLAIN", "mechanism: %s" % cfg)
check(cfg.get("sasl.username") == "KEY123", "username")
check(cfg.get("client.id") == "jobctl-test", "KAFKA_CONFIG not applied")
check(cfg.get("sasl.password") == "[redacted]", "password shown: %s" %
      cfg.get("sasl.password"))
outputs = [p.stdout, p.stderr]
# A real connection attempt fails (nothing listens) and must not leak.
p = run([os.path.join(BIN, "jobctl-bronze-ingest"), "--available-now"],
        home, env, check_rc=None)
check(p.returncode != 0, "ingest against a dead broker succeeded")
outputs += [p.stdout, p.stderr]
p = run([os.path.join(BIN, "jobctl-producer"), "--count", "1"], home, env,
        check_rc=None)
outputs += [p.stdout, p.stderr]
# Through the orchestrator: the seed job's ingest fails against the dead
# broker; neither the run store (jobctl.db) nor the task logs may hold the
# secret.
shared = os.environ.get("JOBCTL_SHARED_DIR", "../shared")
seed = os.path.join(shared, "seeds", "full_streaming_pipeline.json")
ws = os.path.join(home, "workspace")
os.makedirs(ws)
os.symlink(os.path.abspath(os.path.join(BIN, "jobctl-bronze-ingest")),
           os.path.join(ws, "01_stream_kafka_to_bronze"))
p = run([os.path.join(BIN, "jobctl"), "run", seed, "--workspace", ws], home,
        env, check_rc=None, timeout=100)
check(p.returncode != 0, "the job succeeded against a dead broker")
check(os.path.exists(os.path.join(home, "jobctl.db")), "no run store")
outputs += [p.stdout, p.stderr]
for o in outputs:
    check(SECRET not in o, "secret in program output:\n" + o)
for root, _, files in os.walk(home):
    for n in files:
        with open(os.path.join(root, n), "rb") as f:
            check(SECRET.encode() not in f.read(),
                  "secret found in %s" % os.path.join(root, n))
print("1 passed, 0 failed")
