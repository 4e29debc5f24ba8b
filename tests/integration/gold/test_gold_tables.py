"""Gold tables end to end: silver_events (imported with `jobctl table
import`) -> jobctl-gold-train -> jobctl-gold-score, then the gold tables are
read back with DuckDB (an independent Parquet reader) and checked:
gold_anomaly_predictions = silver columns + anomaly_score DOUBLE +
anomaly_flag INTEGER (-1/1, flag == -1 iff score < 0, ~contamination
flagged), overwritten per run; gold_events_scored has the documented seven
columns, is partitioned by event_type and appended per run with the
scoring run's mlflow_run_id. Also: the MLflow file store holds the params,
metrics, histogram artifact and registered versions; scores equal `jobctl
model score` of the registered model; and the project's job file runs
train -> score with the model version passed as a task value."""
import csv
import json
import os
import random
import subprocess
import sys
from datetime import datetime, timezone
from urllib.parse import unquote

from gold_helpers import TempHome, binpath

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.environ.get("JOBCTL_NODE_DIR", "tests/node")
SRC = os.environ.get("JOBCTL_SOURCE_DIR", ".")


def delta_state(table_dir):
    log = os.path.join(table_dir, "_delta_log")
    files, meta, removes, version = {}, None, 0, -1
    for n in sorted(os.listdir(log)):
        if not (n.endswith(".json") and n[:20].isdigit()):
            continue
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
                    removes += 1
                elif "metaData" in a:
                    meta = a["metaData"]
    return version, files, meta, removes


def duck(table_dir, select="*", tail=""):
    _, files, _, _ = delta_state(table_dir)
    assert files, "no active files in " + table_dir
    paths = ",".join("'%s'" % os.path.join(table_dir, unquote(p))
                     for p in sorted(files))
    sql = ("SELECT %s FROM read_parquet([%s], hive_partitioning=true, "
           "union_by_name=true) %s" % (select, paths, tail))
    p = subprocess.run(["node", os.path.join(HERE, "duckdb_query.cjs"), sql],
                       env=dict(os.environ, JOBCTL_NODE_DIR=NODE_DIR),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def make_silver(h, n=3000):
    rnd = random.Random(5)
    path = h.path("silver.jsonl")
    with open(path, "w") as f:
        for i in range(n):
            ts = 1743528000 + rnd.randint(0, 86400)
            v = rnd.gauss(500, 120) if i % 100 else rnd.uniform(3000, 6000)
            f.write(json.dumps({
                "event_id": "e%05d" % i,
                "event_type": rnd.choice(["click", "view", "purchase"]),
                "timestamp": datetime.fromtimestamp(ts, timezone.utc)
                .strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "value": v, "timestamp_unix": ts}) + "\n")
    h.run([binpath("jobctl"), "table", "import", "silver_events", "--from",
           path, "--schema", "event_id:string,event_type:string,"
           "timestamp:timestamp,value:double,timestamp_unix:long",
           "--partition-by", "event_type"])
    return n


def task_values(path):
    vals = {}
    if os.path.exists(path):
        for line in open(path):
            k, _, v = line.rstrip("\n").partition("=")
            vals[k] = v
    return vals


def read(path):
    with open(path) as f:
        return f.read()


def main():
    jobctl = binpath("jobctl")
    train = binpath("jobctl-gold-train")
    score = binpath("jobctl-gold-score")
    with TempHome() as h:
        home = h.env["JOBCTL_HOME"]
        lake = os.path.join(home, "lake")
        n = make_silver(h)
        tv = h.path("values")
        r = h.run([train], env={"JOBCTL_TASK_VALUES": tv})
        vals = task_values(tv)
        assert vals.get("model_version") == "1", (vals, r.stdout, r.stderr)
        train_run = vals["mlflow_run_id"]
        os.unlink(tv)
        r = h.run([score, "--model_version=1"],
                  env={"JOBCTL_TASK_VALUES": tv})
        score_run = task_values(tv)["mlflow_run_id"]

        # gold_anomaly_predictions
        pred = os.path.join(lake, "gold_anomaly_predictions")
        res = duck(pred)
        cols = dict(zip(res["columns"], res["types"]))
        for c in ("event_id", "event_type", "timestamp", "value",
                  "timestamp_unix"):
            assert c in cols, cols
        assert cols["anomaly_score"] == "DOUBLE", cols
        assert cols["anomaly_flag"] == "INTEGER", cols
        rows = res["rows"]
        assert len(rows) == n
        flags = [int(r_["anomaly_flag"]) for r_ in rows]
        assert set(flags) == {-1, 1}
        for r_ in rows:
            assert (int(r_["anomaly_flag"]) == -1) == \
                (float(r_["anomaly_score"]) < 0), r_
        share = flags.count(-1) / n
        assert abs(share - 0.1) < 0.01, share
        # the injected anomalies (every 100th event) are flagged
        spikes = [r_ for r_ in rows if int(r_["event_id"][1:]) % 100 == 0]
        assert all(int(r_["anomaly_flag"]) == -1 for r_ in spikes)

        # same scores as the CLI scoring the registered model
        with open(h.path("pts.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["event_id", "value", "timestamp_unix"])
            for r_ in rows:
                w.writerow([r_["event_id"], repr(float(r_["value"])),
                            r_["timestamp_unix"]])
        h.run([jobctl, "model", "score",
               "models:/iforest_silver_anomaly_detector/1", "--input",
               h.path("pts.csv"), "--output", h.path("out.csv")])
        cli = {row["event_id"]: float(row["decision_function"])
               for row in csv.DictReader(open(h.path("out.csv")))}
        for r_ in rows:
            assert abs(cli[r_["event_id"]] - float(r_["anomaly_score"])) \
                <= 1e-12, r_

        # gold_events_scored
        sc = os.path.join(lake, "gold_events_scored")
        _, files, meta, _ = delta_state(sc)
        assert meta["partitionColumns"] == ["event_type"], meta
        assert all(p.startswith("event_type=") for p in files), list(files)
        res = duck(sc)
        assert set(res["columns"]) == {
            "event_id", "event_type", "timestamp", "value", "anomaly_score",
            "inference_ts", "mlflow_run_id"}, res["columns"]
        types = dict(zip(res["columns"], res["types"]))
        assert types["anomaly_score"] == "DOUBLE"
        assert types["inference_ts"].startswith("TIMESTAMP"), types
        assert len(res["rows"]) == n
        assert {r_["mlflow_run_id"] for r_ in res["rows"]} == {score_run}
        assert all(r_["inference_ts"] for r_ in res["rows"])

        # second scoring run: predictions overwritten, scored appended
        h.run([score])
        v, _, _, removes = delta_state(pred)
        assert v == 2 and removes > 0, (v, removes)
        assert len(duck(pred)["rows"]) == n
        assert len(duck(sc)["rows"]) == 2 * n

        # jobctl's own consistency check agrees (files, sizes, row counts)
        for t in ("gold_anomaly_predictions", "gold_events_scored"):
            r = h.run([jobctl, "table", "check", t])
            assert ": ok" in r.stdout, r.stdout

        # MLflow file store contents
        ml = os.path.join(home, "mlruns")
        exp = [d for d in os.listdir(ml) if d.isdigit() and d != "0"]
        assert len(exp) == 1, exp
        run_dir = os.path.join(ml, exp[0], train_run)
        params = {p: read(os.path.join(run_dir, "params", p))
                  for p in os.listdir(os.path.join(run_dir, "params"))}
        assert params == {"contamination": "0.1",
                          "features": "['value', 'timestamp_unix']",
                          "n_estimators": "100", "max_samples": "256",
                          "random_state": "42"}, params
        ts, val, step = read(os.path.join(run_dir, "metrics",
                                          "training_records")).split()
        assert float(val) == n and step == "0"
        assert "status: 3" in read(os.path.join(run_dir, "meta.yaml"))
        srun = os.path.join(ml, exp[0], score_run)
        ts, val, step = read(os.path.join(srun, "metrics", "num_rows")).split()
        assert float(val) == n
        assert os.path.exists(os.path.join(srun, "metrics",
                                           "avg_anomaly_score"))
        svg = read(os.path.join(srun, "artifacts", "anomaly_score_hist.svg"))
        assert svg.startswith("<svg") and "</svg>" in svg
        vmeta = read(os.path.join(ml, "models",
                                  "iforest_silver_anomaly_detector",
                                  "version-1", "meta.yaml"))
        assert "run_id: '%s'" % train_run in vmeta, vmeta

        # the project's job: train -> score with the version as task value
        ws = h.path("ws")
        os.makedirs(ws)
        os.symlink(train, os.path.join(ws, "04_train_isolation_forest"))
        os.symlink(score, os.path.join(ws, "05_batch_inference_to_gold"))
        r = h.run([jobctl, "run",
                   os.path.join(SRC, "jobs", "full_streaming_pipeline.json"),
                   "--workspace", ws, "--only", "train_anomaly_model",
                   "--only", "score_gold_events"], timeout=120)
        assert "SUCCESS" in r.stdout, r.stdout
        r = h.run([jobctl, "model", "list", "--json"])
        assert [v_["version"] for v_ in json.loads(r.stdout)] == [1, 2]
        # the job's score task used version 2 (from the task value)
        runs = [d for d in os.listdir(os.path.join(ml, exp[0]))
                if len(d) == 32]
        used = [read(os.path.join(ml, exp[0], d, "params", "model_version"))
                for d in runs
                if os.path.exists(os.path.join(ml, exp[0], d, "params",
                                               "model_version"))]
        assert "2" in used, used
    print("PASS")


if __name__ == "__main__":
    sys.exit(main())
