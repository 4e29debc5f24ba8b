"""Shared helpers for the pipeline integration tests: the embedded broker,
the producer with its manifest, running task programs, and reading Delta
tables (log replay in Python, data through DuckDB)."""
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("JOBCTL_BIN_DIR", "build/bin")
NODE_DIR = os.environ.get("JOBCTL_NODE_DIR", "tests/node")
HERE = os.path.dirname(os.path.abspath(__file__))
TYPES = ("click", "purchase", "view")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def jobctl_cmd(sub):
    """argv for `jobctl <sub>` (jobctl execs the sibling program); the
    program itself when jobctl is not built."""
    j = os.path.join(BIN, "jobctl")
    if os.path.exists(j):
        return [j, sub]
    prog = {"kafka-broker": "jobctl-kafka-broker",
            "produce": "jobctl-producer"}[sub]
    return [os.path.join(BIN, prog)]


def tmp_home(name):
    d = tempfile.mkdtemp(prefix="jc-%s-" % name)
    return d


def env_for(home, extra=None):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith(("KAFKA_", "JOBCTL_PARAM_")):
            del env[k]
    env["JOBCTL_HOME"] = home
    env["JOBCTL_LAKE"] = os.path.join(home, "lake")
    env.pop("JOBCTL_TASK_VALUES", None)
    if extra:
        env.update(extra)
    return env


class Broker:
    def __init__(self, home, partitions=4, topics=()):
        self.home = home
        args = jobctl_cmd("kafka-broker") + ["--partitions", str(partitions)]
        for t in topics:
            args += ["--topic", t]
        self.log = open(os.path.join(home, "broker.log"), "w")
        self.proc = subprocess.Popen(args, env=env_for(home),
                                     stdout=subprocess.PIPE,
                                     stderr=self.log, text=True)
        path = os.path.join(home, "kafka.bootstrap")
        deadline = time.time() + 20
        while time.time() < deadline:
            if os.path.exists(path) and open(path).read().strip():
                # line 1: host:port; line 2: instance=<random id>
                self.bootstrap = open(path).read().split("\n")[0].strip()
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        fail("broker did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.stop()


def run(args, home, extra_env=None, check_rc=0, timeout=120):
    p = subprocess.run(args, env=env_for(home, extra_env),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    if check_rc is not None and p.returncode != check_rc:
        fail("%s exited %d (want %d)\nstdout:\n%s\nstderr:\n%s" %
             (" ".join(args), p.returncode, check_rc, p.stdout, p.stderr))
    return p


def produce(home, count, seed=1, **rates):
    manifest = os.path.join(home, "manifest-%d-%d.jsonl" % (seed, time.time_ns()))
    args = jobctl_cmd("produce") + ["--count", str(count),
            "--seed", str(seed), "--manifest", manifest]
    for k, v in rates.items():
        args += ["--" + k.replace("_", "-"), str(v)]
    run(args, home)
    with open(manifest) as f:
        return [json.loads(line) for line in f]


def ingest(home, *args, extra_env=None, check_rc=0):
    return run([os.path.join(BIN, "jobctl-bronze-ingest")] + list(args),
               home, extra_env, check_rc)


def cleanse(home, *args, check_rc=0):
    return run([os.path.join(BIN, "jobctl-silver-cleanse")] + list(args),
               home, None, check_rc)


def monitor(home, *args, extra_env=None, check_rc=0):
    return run([os.path.join(BIN, "jobctl-silver-monitor")] + list(args),
               home, extra_env, check_rc)


def parse_ts(s):
    """ISO-8601 -> microseconds (UTC), or None."""
    try:
        t = s.replace("Z", "+00:00")
        if len(t) >= 11 and t[10] == " ":
            t = t[:10] + "T" + t[11:]
        d = datetime.datetime.fromisoformat(t)
    except (ValueError, AttributeError):
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    delta = d - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds


def classify(payload):
    """The event schema as the scanner defines it: dict or None."""
    if len(payload.encode()) > 65536:
        return None
    try:
        d = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(d, dict):
        return None
    for k in ("event_id", "event_type", "timestamp", "value"):
        if not isinstance(d.get(k), str):
            return None
    ts = parse_ts(d["timestamp"])
    if ts is None:
        return None
    d["ts_us"] = ts
    return d


def expected(manifest):
    valid, invalid = [], []
    for m in manifest:
        e = classify(m["payload"])
        (valid if e else invalid).append(e if e else m)
    silver = {}
    for e in valid:
        if e["event_type"] not in TYPES:
            continue
        try:
            float(e["value"])
        except ValueError:
            continue
        old = silver.get(e["event_id"])
        if old is None or e["ts_us"] > old["ts_us"]:
            silver[e["event_id"]] = e
    return valid, invalid, silver


def delta_state(table_dir):
    """Replay the JSON commits: (version, active files, txns)."""
    log = os.path.join(table_dir, "_delta_log")
    files, txns, version = {}, {}, -1
    names = sorted(n for n in os.listdir(log)
                   if n.endswith(".json") and n[:20].isdigit())
    for n in names:
        version = int(n[:20])
        with open(os.path.join(log, n)) as f:
            for line in f:
                if not line.strip():
                    continue
                a = json.loads(line)
                if "add" in a:
                    files[a["add"]["path"]] = a["add"]
                elif "remove" in a:
                    files.pop(a["remove"]["path"], None)
                elif "txn" in a:
                    txns[a["txn"]["appId"]] = a["txn"]["version"]
    return version, files, txns


def query(table_dir, select="*", where=""):
    """Rows of the table's active files via DuckDB."""
    from urllib.parse import unquote
    _, files, _ = delta_state(table_dir)
    if not files:
        return []
    paths = ",".join("'%s'" % os.path.join(table_dir, unquote(p)).replace("'", "''")
                     for p in sorted(files))
    sql = ("SELECT %s FROM read_parquet([%s], hive_partitioning=true, "
           "union_by_name=true) %s" % (select, paths, where))
    p = subprocess.run(["node", os.path.join(HERE, "read_parquet.cjs"), sql],
                       env=dict(os.environ, JOBCTL_NODE_DIR=NODE_DIR),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120)
    if p.returncode:
        fail("duckdb query failed: %s\n%s" % (sql[:300], p.stderr))
    return json.loads(p.stdout)


def table(home, name):
    return os.path.join(home, "lake", name)


def ts_us_of_duckdb(s):
    """DuckDB JSON timestamp text -> micros."""
    return parse_ts(s.replace(" ", "T", 1) if "T" not in s else s)


def check_bronze(home, manifest):
    """bronze = every valid message exactly once; quarantine = the rest."""
    valid, invalid, _ = expected(manifest)
    rows = query(table(home, "bronze_events"),
                 "event_id, event_type, value, kafka_partition, kafka_offset, "
                 "CAST(epoch_us(timestamp) AS BIGINT) AS ts")
    coords = [(int(r["kafka_partition"]), int(r["kafka_offset"]))
              for r in rows]
    check(len(coords) == len(set(coords)),
          "bronze has duplicate kafka coordinates (%d rows, %d distinct)" %
          (len(coords), len(set(coords))))
    check(len(rows) == len(valid),
          "bronze has %d rows, want %d" % (len(rows), len(valid)))
    got = sorted((r["event_id"], r["event_type"], r["value"], int(r["ts"]))
                 for r in rows)
    want = sorted((e["event_id"], e["event_type"], e["value"], e["ts_us"])
                  for e in valid)
    check(got == want, "bronze rows differ from the valid messages")
    q = query(table(home, "bronze_quarantine"),
              "raw_payload, error, kafka_offset")
    check(len(q) == len(invalid), "quarantine has %d rows, want %d" %
          (len(q), len(invalid)))
    check(all(r["error"] for r in q), "a quarantine row has no error")
    check(sorted(r["raw_payload"] for r in q) ==
          sorted(m["payload"][:65536] for m in invalid),
          "quarantine payloads differ from the malformed messages")
    return rows, q
