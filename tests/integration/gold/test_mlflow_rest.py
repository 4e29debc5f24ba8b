"""The MLflow REST client (lib/ml/mlflow_rest.c) against a strict test
server (mlflow_test_server.py) that validates every request against
MLflow's documented REST API: `jobctl model import-sklearn` twice (second
time the experiment exists and registered-models/create answers
RESOURCE_ALREADY_EXISTS), `jobctl model list`, `jobctl model score
models:/NAME/latest` (artifacts downloaded through the artifact proxy),
the gold train/score tasks logging params, metrics, the model and the
histogram through it, errors for unknown models and wrong tokens, and the
bearer token never appearing in output. The server itself is checked to reject bad requests."""
import json
import sys
import urllib.error
import urllib.request

import numpy as np
from sklearn.ensemble import IsolationForest

from gold_helpers import (TempHome, binpath, read_scored_csv, silver_like,
                          write_points_csv)
from export_sklearn_iforest import export
from mlflow_test_server import MlflowTestServer

TOKEN = "dapi-TEST-9f8e7d6c5b4a"


def server_rejects_bad_requests(s):
    """The validator is not a server that accepts anything."""
    def post(path, body, ctype="application/json", token=TOKEN):
        req = urllib.request.Request(s.url + path, data=body, method="POST")
        req.add_header("Content-Type", ctype)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")
    bad = [
        ("/api/2.0/mlflow/runs/create", b'{"experiment_id": 1}'),
        ("/api/2.0/mlflow/runs/create", b'{"experiment_id": "0", "x": 1}'),
        ("/api/2.0/mlflow/runs/log-batch",
         b'{"run_id": "r", "metrics": [{"key": "k", "value": "1"}]}'),
        ("/api/2.0/mlflow/model-versions/create", b'{"name": "m"}'),
        ("/api/2.0/mlflow/experiments/create", b'not json'),
        ("/api/2.0/mlflow/no-such-endpoint", b'{}'),
    ]
    for path, body in bad:
        st, resp = post(path, body)
        assert st >= 400 and resp.get("error_code"), (path, st, resp)
    st, resp = post("/api/2.0/mlflow/experiments/create", b'{"name": "x"}',
                    ctype="text/plain")
    assert st == 400, st
    st, resp = post("/api/2.0/mlflow/experiments/create", b'{"name": "x"}',
                    token="wrong")
    assert st == 401 and resp["error_code"] == "UNAUTHENTICATED"
    n = len(s.violations)
    assert n == len(bad) + 2, s.violations
    del s.violations[:]
    s.httpd.auth_failures = 0


def import_silver(h, jobctl):
    rnd = np.random.RandomState(4)
    with open(h.path("silver.jsonl"), "w") as f:
        for i in range(500):
            ts = 1743528000 + int(rnd.randint(0, 86400))
            f.write(json.dumps({"event_id": str(i), "event_type": "click",
                                "timestamp": ts * 1000000,
                                "value": float(rnd.normal(500, 100)),
                                "timestamp_unix": ts}) + "\n")
    h.run([jobctl, "table", "import", "silver_events", "--from",
           h.path("silver.jsonl"), "--schema",
           "event_id:string,event_type:string,timestamp:timestamp,"
           "value:double,timestamp_unix:long"])


def main():
    jobctl = binpath("jobctl")
    rng = np.random.RandomState(11)
    X = silver_like(rng, 3000)
    m = IsolationForest(n_estimators=40, contamination=0.1,
                        random_state=42).fit(X)
    with MlflowTestServer(TOKEN) as s, TempHome() as h:
        server_rejects_bad_requests(s)
        export(m, h.path("m.jcif"))
        env = {"MLFLOW_TRACKING_URI": s.url + "/",
               "MLFLOW_TRACKING_TOKEN": TOKEN}
        outputs = []
        for want in (1, 2):
            r = h.run([jobctl, "model", "import-sklearn", h.path("m.jcif"),
                       "--name", "iforest_rest"], env=env)
            outputs.append(r.stdout + r.stderr)
            assert "version %d" % want in r.stdout, r.stdout
        assert not s.violations, s.violations
        r = h.run([jobctl, "model", "list", "--json"], env=env)
        outputs.append(r.stdout + r.stderr)
        listed = json.loads(r.stdout)
        assert [v["version"] for v in listed] == [1, 2], listed
        assert listed[0]["source"].startswith("mlflow-artifacts:/"), listed

        pts = silver_like(rng, 2000)
        write_points_csv(h.path("in.csv"), pts)
        pts = np.genfromtxt(h.path("in.csv"), delimiter=",", skip_header=1)
        r = h.run([jobctl, "model", "score", "models:/iforest_rest/latest",
                   "--input", h.path("in.csv"), "--output", h.path("out.csv")],
                  env=env)
        outputs.append(r.stdout + r.stderr)
        sc, d, p = read_scored_csv(h.path("out.csv"))
        err = float(np.max(np.abs(np.asarray(d) - m.decision_function(pts))))
        print("REST-downloaded model: max |decision diff| = %.3g" % err)
        assert err <= 1e-9
        assert list(p) == list(m.predict(pts))

        r = h.run([jobctl, "model", "score", "models:/missing/1", "--input",
                   h.path("in.csv"), "--output", h.path("o2.csv")],
                  env=env, check=False)
        outputs.append(r.stdout + r.stderr)
        assert r.returncode == 1 and "not found" in r.stderr, r.stderr

        # the server state is what MLflow would hold
        st = s.store
        runs = list(st.runs.values())
        assert len(runs) == 2
        for run in runs:
            assert run["info"]["status"] == "FINISHED", run["info"]
            assert run["params"]["n_estimators"] == "40", run["params"]
            assert "end_time" in run["info"]
            rid = run["info"]["run_id"]
            base = "%s/%s/artifacts/model/" % (run["info"]["experiment_id"],
                                              rid)
            assert base + "MLmodel" in st.artifacts, sorted(st.artifacts)
            assert base + "model.jcif" in st.artifacts
        assert [v["version"] for v in st.models["iforest_rest"]] == ["1", "2"]
        assert not s.violations, s.violations
        called = {p for _, p in s.calls}
        for need in ("experiments/get-by-name", "experiments/create",
                     "runs/create", "runs/log-batch", "runs/update",
                     "registered-models/create", "model-versions/create",
                     "model-versions/search"):
            assert "/api/2.0/mlflow/" + need in called, need
        assert any(c == ("PUT", p) for c in s.calls for p in called
                   if "mlflow-artifacts" in p)
        assert any(m_ == "GET" and "mlflow-artifacts" in p
                   for m_, p in s.calls)

        # the gold tasks against the server: metrics, params, artifacts,
        # registry, and the score task downloading the model
        import_silver(h, jobctl)
        tv = h.path("values")
        r = h.run([binpath("jobctl-gold-train")],
                  env=dict(env, JOBCTL_TASK_VALUES=tv))
        outputs.append(r.stdout + r.stderr)
        vals = dict(l.strip().split("=", 1) for l in open(tv))
        assert vals["model_version"] == "1", vals
        r = h.run([binpath("jobctl-gold-score"), "--model_version=1"],
                  env=env)
        outputs.append(r.stdout + r.stderr)
        assert not s.violations, s.violations
        trun = st.runs[vals["mlflow_run_id"]]
        assert trun["params"]["random_state"] == "42", trun["params"]
        assert [m_["key"] for m_ in trun["metrics"]] == ["training_records"]
        assert trun["metrics"][0]["value"] == 500
        srun = [r_ for r_ in st.runs.values()
                if "num_rows" in [m_["key"] for m_ in r_["metrics"]]]
        assert len(srun) == 1, [r_["metrics"] for r_ in st.runs.values()]
        keys = {m_["key"]: m_["value"] for m_ in srun[0]["metrics"]}
        assert keys["num_rows"] == 500 and "avg_anomaly_score" in keys, keys
        assert srun[0]["info"]["status"] == "FINISHED"
        hist = "%s/%s/artifacts/anomaly_score_hist.svg" % (
            srun[0]["info"]["experiment_id"], srun[0]["info"]["run_id"])
        assert st.artifacts[hist].startswith(b"<svg"), sorted(st.artifacts)
        assert [v["version"] for v in
                st.models["iforest_silver_anomaly_detector"]] == ["1"]

        # a version registered by another client with a runs:/ source
        rid = st.models["iforest_rest"][0]["run_id"]
        req = urllib.request.Request(
            s.url + "/api/2.0/mlflow/model-versions/create",
            data=json.dumps({"name": "iforest_rest", "run_id": rid,
                             "source": "runs:/%s/model" % rid}).encode(),
            method="POST")
        req.add_header("Content-Type", "application/json")
        req.add_header("Authorization", "Bearer " + TOKEN)
        with urllib.request.urlopen(req) as resp:
            assert json.loads(resp.read())["model_version"]["version"] == "3"
        r = h.run([jobctl, "model", "score", "models:/iforest_rest/3",
                   "--input", h.path("in.csv"), "--output", h.path("o3.csv")],
                  env=env)
        outputs.append(r.stdout + r.stderr)
        assert read_scored_csv(h.path("o3.csv"))[1] == d
        assert not s.violations, s.violations

        # wrong token: clean failure, token not echoed
        s.httpd.expect_auth_failure = True
        r = h.run([jobctl, "model", "list"], check=False,
                  env={"MLFLOW_TRACKING_URI": s.url,
                       "MLFLOW_TRACKING_TOKEN": "wrong-" + TOKEN})
        outputs.append(r.stdout + r.stderr)
        assert r.returncode == 1 and "401" in r.stderr, r.stderr
        assert s.httpd.auth_failures >= 1
        for out in outputs:
            assert TOKEN not in out, "token leaked: " + out
    print("PASS")


if __name__ == "__main__":
    sys.exit(main())
