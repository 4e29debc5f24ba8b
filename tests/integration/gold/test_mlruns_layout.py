"""The MLflow file store written by jobctl matches MLflow's FileStore
conventions (mlflow/store/tracking/file_store.py and
mlflow/store/model_registry/file_store.py), checked with a YAML parser:
the exact key sets and value types of experiment, run, registered model and
model version meta.yaml files, run status codes, metric line format, tag
and param files, artifact locations that point at real directories, and
MLmodel's flavor/signature. Data comes from `jobctl model import-sklearn`
(twice: versions 1 and 2) so no Delta table is needed."""
import json
import os
import re
import sys

import numpy as np
from sklearn.ensemble import IsolationForest

from gold_helpers import TempHome, binpath
from export_sklearn_iforest import export

EXPERIMENT_KEYS = {"artifact_location", "creation_time", "experiment_id",
                   "last_update_time", "lifecycle_stage", "name"}
RUN_KEYS = {"artifact_uri", "end_time", "entry_point_name", "experiment_id",
            "lifecycle_stage", "run_id", "run_name", "run_uuid",
            "source_name", "source_type", "source_version", "start_time",
            "status", "tags", "user_id"}
REGISTERED_MODEL_KEYS = {"aliases", "creation_timestamp", "description",
                         "last_updated_timestamp", "name"}
VERSION_KEYS = {"aliases", "creation_timestamp", "current_stage",
                "description", "last_updated_timestamp", "name", "run_id",
                "run_link", "source", "status", "status_message",
                "storage_location", "user_id", "version"}


def _scalar(v):
    if v in ("null", "~", ""):
        return None
    if v == "[]":
        return []
    if re.fullmatch(r"-?\d+", v):
        return int(v)
    if len(v) >= 2 and v[0] == v[-1] == "'":
        return v[1:-1].replace("''", "'")
    if len(v) >= 2 and v[0] == v[-1] == '"':
        return json.loads(v)
    return v


def mini_yaml(text):
    """Block mappings of scalars (what MLflow's meta.yaml/MLmodel use);
    used only when PyYAML is not installed."""
    root = {}
    stack = [(-1, root)]
    for line in text.splitlines():
        if not line.strip():
            continue
        ind = len(line) - len(line.lstrip(" "))
        key, _, val = line.strip().partition(":")
        while stack[-1][0] >= ind:
            stack.pop()
        if val.strip() == "":
            d = {}
            stack[-1][1][key] = d
            stack.append((ind, d))
        else:
            stack[-1][1][key] = _scalar(val.strip())
    return root


def load(path):
    with open(path) as f:
        text = f.read()
    try:
        import yaml
    except ImportError:
        return mini_yaml(text)
    return yaml.safe_load(text)


def uri_path(uri):
    assert uri.startswith("file:///"), uri
    return uri[len("file://"):]


def main():
    jobctl = binpath("jobctl")
    rng = np.random.RandomState(1)
    X = np.c_[rng.normal(0, 1, 500), rng.normal(0, 1, 500)]
    m = IsolationForest(n_estimators=10, random_state=0).fit(X)
    with TempHome() as h:
        export(m, h.path("m.jcif"))
        for _ in range(2):
            h.run([jobctl, "model", "import-sklearn", h.path("m.jcif"),
                   "--name", "layout_model", "--experiment", "layout exp"])
        root = os.path.join(h.env["JOBCTL_HOME"], "mlruns")
        assert os.path.isdir(os.path.join(root, ".trash"))
        # experiments: 0 = Default, 1 = ours
        e0 = load(os.path.join(root, "0", "meta.yaml"))
        assert set(e0) == EXPERIMENT_KEYS and e0["name"] == "Default", e0
        e1 = load(os.path.join(root, "1", "meta.yaml"))
        assert set(e1) == EXPERIMENT_KEYS, set(e1) ^ EXPERIMENT_KEYS
        assert e1["experiment_id"] == "1" and e1["name"] == "layout exp"
        assert e1["lifecycle_stage"] == "active"
        assert isinstance(e1["creation_time"], int)
        assert uri_path(e1["artifact_location"]) == os.path.join(root, "1")
        runs = [d for d in os.listdir(os.path.join(root, "1"))
                if re.fullmatch(r"[0-9a-f]{32}", d)]
        assert len(runs) == 2, runs
        for rid in runs:
            rdir = os.path.join(root, "1", rid)
            meta = load(os.path.join(rdir, "meta.yaml"))
            assert set(meta) == RUN_KEYS, set(meta) ^ RUN_KEYS
            assert meta["run_id"] == rid and meta["run_uuid"] == rid
            assert meta["experiment_id"] == "1"
            assert meta["status"] == 3  # RunStatus.FINISHED
            assert meta["source_type"] == 4  # SourceType.LOCAL
            assert meta["tags"] == [] and meta["lifecycle_stage"] == "active"
            assert isinstance(meta["start_time"], int)
            assert isinstance(meta["end_time"], int)
            assert meta["end_time"] >= meta["start_time"]
            art = uri_path(meta["artifact_uri"])
            assert art == os.path.join(rdir, "artifacts")
            for sub in ("params", "metrics", "tags", "artifacts"):
                assert os.path.isdir(os.path.join(rdir, sub)), sub
            with open(os.path.join(rdir, "tags", "mlflow.runName")) as f:
                assert f.read() == meta["run_name"]
            with open(os.path.join(rdir, "params", "n_estimators")) as f:
                assert f.read() == "10"
            mlmodel = load(os.path.join(art, "model", "MLmodel"))
            assert mlmodel["run_id"] == rid
            fl = mlmodel["flavors"]["jobctl_iforest"]
            assert fl["model_file"] == "model.jcif"
            assert os.path.exists(os.path.join(art, "model", "model.jcif"))
            inputs = json.loads(mlmodel["signature"]["inputs"])
            assert [(c["name"], c["type"]) for c in inputs] == [
                ("value", "double"), ("timestamp_unix", "long")], inputs
        # registry
        mdir = os.path.join(root, "models", "layout_model")
        rm = load(os.path.join(mdir, "meta.yaml"))
        assert set(rm) == REGISTERED_MODEL_KEYS, set(rm) ^ REGISTERED_MODEL_KEYS
        assert rm["name"] == "layout_model" and rm["aliases"] == []
        assert rm["last_updated_timestamp"] >= rm["creation_timestamp"]
        seen_runs = set()
        for v in (1, 2):
            mv = load(os.path.join(mdir, "version-%d" % v, "meta.yaml"))
            assert set(mv) == VERSION_KEYS, set(mv) ^ VERSION_KEYS
            assert mv["version"] == v and mv["name"] == "layout_model"
            assert mv["current_stage"] == "None" and mv["status"] == "READY"
            assert mv["source"] == mv["storage_location"]
            src = uri_path(mv["source"])
            assert os.path.exists(os.path.join(src, "MLmodel")), src
            assert mv["run_id"] in runs
            seen_runs.add(mv["run_id"])
        assert seen_runs == set(runs)
    print("PASS")


if __name__ == "__main__":
    sys.exit(main())
