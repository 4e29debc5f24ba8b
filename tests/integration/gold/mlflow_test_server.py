"""A strict MLflow tracking + registry + artifact server for tests.

It implements the subset of MLflow's documented REST API (2.0) that jobctl
uses and VALIDATES every request against it: method, path, Content-Type,
bearer token, JSON body shape (required fields, types, no unknown fields),
query parameters, and MLflow's error codes (RESOURCE_DOES_NOT_EXIST 404,
RESOURCE_ALREADY_EXISTS 400, INVALID_PARAMETER_VALUE 400,
ENDPOINT_NOT_FOUND 404, UNAUTHENTICATED 401). Anything else is rejected and
recorded in `violations`, which tests assert to be empty.

Reference: https://mlflow.org/docs/latest/rest-api.html (messages
CreateExperiment, GetExperimentByName, CreateRun, LogBatch, UpdateRun,
GetRun, CreateRegisteredModel, CreateModelVersion, SearchModelVersions) and
the artifact proxy /api/2.0/mlflow-artifacts/artifacts/{path}.
"""
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

STR, INT64, NUM, LIST, OBJ = "string", "int64", "number", "list", "object"
RUN_STATUSES = {"RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"}
KV = {"key": (STR, True), "value": (STR, True)}
METRIC = {"key": (STR, True), "value": (NUM, True),
          "timestamp": (INT64, True), "step": (INT64, False)}

# path -> (method, body/query schema {field: (type, required, item_schema)})
API = {
    "/api/2.0/mlflow/experiments/get-by-name":
        ("GET", {"experiment_name": (STR, True)}),
    "/api/2.0/mlflow/experiments/create":
        ("POST", {"name": (STR, True), "artifact_location": (STR, False),
                  "tags": (LIST, False, KV)}),
    "/api/2.0/mlflow/runs/create":
        ("POST", {"experiment_id": (STR, True), "user_id": (STR, False),
                  "run_name": (STR, False), "start_time": (INT64, False),
                  "tags": (LIST, False, KV)}),
    "/api/2.0/mlflow/runs/log-batch":
        ("POST", {"run_id": (STR, True), "metrics": (LIST, False, METRIC),
                  "params": (LIST, False, KV), "tags": (LIST, False, KV)}),
    "/api/2.0/mlflow/runs/update":
        ("POST", {"run_id": (STR, True), "run_uuid": (STR, False),
                  "status": (STR, False), "end_time": (INT64, False),
                  "run_name": (STR, False)}),
    "/api/2.0/mlflow/runs/get": ("GET", {"run_id": (STR, True),
                                         "run_uuid": (STR, False)}),
    "/api/2.0/mlflow/registered-models/create":
        ("POST", {"name": (STR, True), "tags": (LIST, False, KV),
                  "description": (STR, False)}),
    "/api/2.0/mlflow/model-versions/create":
        ("POST", {"name": (STR, True), "source": (STR, True),
                  "run_id": (STR, False), "tags": (LIST, False, KV),
                  "run_link": (STR, False), "description": (STR, False)}),
    "/api/2.0/mlflow/model-versions/search":
        ("GET", {"filter": (STR, False), "max_results": (INT64, False),
                 "order_by": (STR, False), "page_token": (STR, False)}),
}
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts/"


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _type_ok(kind, v, from_query):
    if from_query:  # query values are strings; int64 must parse
        if kind == INT64:
            return re.fullmatch(r"-?\d+", v) is not None
        return kind == STR
    if kind == STR:
        return isinstance(v, str)
    if kind == INT64:  # proto3 JSON: number or decimal string
        return (isinstance(v, int) and not isinstance(v, bool)) or \
            (isinstance(v, str) and re.fullmatch(r"-?\d+", v) is not None)
    if kind == NUM:
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if kind == LIST:
        return isinstance(v, list)
    if kind == OBJ:
        return isinstance(v, dict)
    return False


def validate(schema, obj, from_query=False, where="body"):
    for k in obj:
        if k not in schema:
            raise ApiError(400, "INVALID_PARAMETER_VALUE",
                           "unknown field '%s' in %s" % (k, where))
    for k, spec in schema.items():
        kind, required = spec[0], spec[1]
        if k not in obj:
            if required:
                raise ApiError(400, "INVALID_PARAMETER_VALUE",
                               "missing value for required parameter '%s'" % k)
            continue
        v = obj[k]
        if not _type_ok(kind, v, from_query):
            raise ApiError(400, "INVALID_PARAMETER_VALUE",
                           "invalid value %r for parameter '%s' (want %s)"
                           % (v, k, kind))
        if kind == LIST and len(spec) > 2:
            for i, item in enumerate(v):
                if not isinstance(item, dict):
                    raise ApiError(400, "INVALID_PARAMETER_VALUE",
                                   "'%s[%d]' must be an object" % (k, i))
                validate(spec[2], item, False, "%s[%d]" % (k, i))


class Store:
    def __init__(self):
        self.lock = threading.Lock()
        self.experiments = {"0": {"experiment_id": "0", "name": "Default"}}
        self.runs = {}
        self.models = {}
        self.artifacts = {}

    def now(self):
        return int(time.time() * 1000)


class Handler(BaseHTTPRequestHandler):
    server_version = "mlflow-test/1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def _send(self, status, obj=None, raw=None, ctype="application/json"):
        data = raw if raw is not None else json.dumps(obj or {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _fail(self, e, record=True):
        if record:
            self.server.violations.append("%s %s: %s %s" % (
                self.command, self.path, e.code, e.message))
        self._send(e.status, {"error_code": e.code, "message": e.message})

    def _handle(self):
        srv = self.server
        parts = urlsplit(self.path)
        path = parts.path
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        srv.calls.append((self.command, path))
        try:
            token = srv.token
            if token is not None:
                auth = self.headers.get("Authorization")
                if auth != "Bearer " + token:
                    srv.auth_failures += 1
                    raise ApiError(401, "UNAUTHENTICATED",
                                   "missing or wrong bearer token")
            if path.startswith(ARTIFACTS):
                return self._artifacts(path[len(ARTIFACTS):], body)
            if path not in API:
                raise ApiError(404, "ENDPOINT_NOT_FOUND",
                               "no endpoint %s" % path)
            method, schema = API[path]
            if self.command != method:
                raise ApiError(405, "ENDPOINT_NOT_FOUND",
                               "%s requires %s" % (path, method))
            if method == "GET":
                q = parse_qs(parts.query, keep_blank_values=True,
                             strict_parsing=False)
                for k, v in q.items():
                    if len(v) != 1:
                        raise ApiError(400, "INVALID_PARAMETER_VALUE",
                                       "repeated parameter '%s'" % k)
                req = {k: v[0] for k, v in q.items()}
                validate(schema, req, from_query=True, where="query")
                if body:
                    raise ApiError(400, "INVALID_PARAMETER_VALUE",
                                   "GET with a body")
            else:
                ctype = (self.headers.get("Content-Type") or "").split(";")[0]
                if ctype.strip() != "application/json":
                    raise ApiError(400, "INVALID_PARAMETER_VALUE",
                                   "Content-Type must be application/json, "
                                   "got %r" % ctype)
                try:
                    req = json.loads(body.decode("utf-8"))
                except Exception:
                    raise ApiError(400, "MALFORMED_REQUEST",
                                   "body is not JSON")
                if not isinstance(req, dict):
                    raise ApiError(400, "MALFORMED_REQUEST",
                                   "body must be a JSON object")
                validate(schema, req)
            return self._dispatch(path, req)
        except ApiError as e:
            expected = (e.code in ("RESOURCE_DOES_NOT_EXIST",
                                   "RESOURCE_ALREADY_EXISTS")
                        or (e.code == "UNAUTHENTICATED" and srv.expect_auth_failure))
            self._fail(e, record=not expected)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def _artifacts(self, rel, body):
        rel = unquote(rel)
        if not rel or rel.startswith("/") or ".." in rel.split("/"):
            raise ApiError(400, "INVALID_PARAMETER_VALUE",
                           "invalid artifact path %r" % rel)
        st = self.server.store
        if self.command == "PUT":
            ctype = self.headers.get("Content-Type") or ""
            if not ctype:
                raise ApiError(400, "INVALID_PARAMETER_VALUE",
                               "artifact upload without Content-Type")
            m = re.match(r"(\d+)/([0-9a-f]{32})/artifacts/", rel)
            if not m or m.group(2) not in st.runs:
                raise ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                               "no run for artifact path %r" % rel)
            st.artifacts[rel] = body
            return self._send(200, {})
        if self.command == "GET":
            if rel not in st.artifacts:
                self.server.violations.append("GET missing artifact " + rel)
                raise ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                               "artifact %r not found" % rel)
            return self._send(200, raw=st.artifacts[rel],
                              ctype="application/octet-stream")
        raise ApiError(405, "ENDPOINT_NOT_FOUND", "artifacts: bad method")

    def _run(self, run_id):
        run = self.server.store.runs.get(run_id)
        if run is None:
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                           "Run '%s' not found" % run_id)
        return run

    def _dispatch(self, path, req):
        st = self.server.store
        name = path.rsplit("/mlflow/", 1)[1]
        with st.lock:
            if name == "experiments/get-by-name":
                for e in st.experiments.values():
                    if e["name"] == req["experiment_name"]:
                        return self._send(200, {"experiment": dict(
                            e, lifecycle_stage="active",
                            artifact_location="mlflow-artifacts:/" +
                            e["experiment_id"])})
                raise ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                               "Could not find experiment with name '%s'"
                               % req["experiment_name"])
            if name == "experiments/create":
                if any(e["name"] == req["name"]
                       for e in st.experiments.values()):
                    raise ApiError(400, "RESOURCE_ALREADY_EXISTS",
                                   "Experiment '%s' already exists"
                                   % req["name"])
                eid = str(len(st.experiments))
                st.experiments[eid] = {"experiment_id": eid,
                                       "name": req["name"]}
                return self._send(200, {"experiment_id": eid})
            if name == "runs/create":
                eid = req["experiment_id"]
                if eid not in st.experiments:
                    raise ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                                   "No Experiment with id=%s exists" % eid)
                rid = uuid.uuid4().hex
                info = {"run_id": rid, "run_uuid": rid, "experiment_id": eid,
                        "run_name": req.get("run_name", ""),
                        "user_id": req.get("user_id", ""),
                        "status": "RUNNING",
                        "start_time": int(req.get("start_time", st.now())),
                        "artifact_uri": "mlflow-artifacts:/%s/%s/artifacts"
                        % (eid, rid),
                        "lifecycle_stage": "active"}
                st.runs[rid] = {"info": info, "params": {}, "metrics": [],
                                "tags": {t["key"]: t["value"]
                                         for t in req.get("tags", [])}}
                return self._send(200, {"run": {"info": info,
                                                "data": {}}})
            if name == "runs/get":
                run = self._run(req["run_id"])
                return self._send(200, {"run": {"info": run["info"],
                                                "data": {}}})
            if name == "runs/log-batch":
                run = self._run(req["run_id"])
                if len(req.get("metrics", [])) > 1000 or \
                        len(req.get("params", [])) > 100 or \
                        len(req.get("tags", [])) > 100:
                    raise ApiError(400, "INVALID_PARAMETER_VALUE",
                                   "too many items in log-batch")
                if run["info"]["status"] != "RUNNING":
                    raise ApiError(400, "INVALID_STATE",
                                   "run is not active")
                for p in req.get("params", []):
                    old = run["params"].get(p["key"])
                    if old is not None and old != p["value"]:
                        raise ApiError(400, "INVALID_PARAMETER_VALUE",
                                       "Changing param values is not allowed")
                    run["params"][p["key"]] = p["value"]
                for m in req.get("metrics", []):
                    run["metrics"].append(m)
                for t in req.get("tags", []):
                    run["tags"][t["key"]] = t["value"]
                return self._send(200, {})
            if name == "runs/update":
                run = self._run(req["run_id"])
                if "run_uuid" in req and req["run_uuid"] != req["run_id"]:
                    raise ApiError(400, "INVALID_PARAMETER_VALUE",
                                   "run_uuid differs from run_id")
                if "status" in req:
                    if req["status"] not in RUN_STATUSES:
                        raise ApiError(400, "INVALID_PARAMETER_VALUE",
                                       "invalid status %r" % req["status"])
                    run["info"]["status"] = req["status"]
                if "end_time" in req:
                    run["info"]["end_time"] = int(req["end_time"])
                return self._send(200, {"run_info": run["info"]})
            if name == "registered-models/create":
                if req["name"] in st.models:
                    raise ApiError(400, "RESOURCE_ALREADY_EXISTS",
                                   "Registered Model (name=%s) already "
                                   "exists." % req["name"])
                st.models[req["name"]] = []
                return self._send(200, {"registered_model": {
                    "name": req["name"], "creation_timestamp": st.now(),
                    "last_updated_timestamp": st.now()}})
            if name == "model-versions/create":
                if req["name"] not in st.models:
                    raise ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                                   "Registered Model with name=%s not found"
                                   % req["name"])
                if "run_id" in req and req["run_id"] not in st.runs:
                    raise ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                                   "Run '%s' not found" % req["run_id"])
                vs = st.models[req["name"]]
                mv = {"name": req["name"], "version": str(len(vs) + 1),
                      "creation_timestamp": st.now(),
                      "last_updated_timestamp": st.now(),
                      "current_stage": "None", "source": req["source"],
                      "run_id": req.get("run_id", ""), "status": "READY"}
                vs.append(mv)
                return self._send(200, {"model_version": mv})
            if name == "model-versions/search":
                flt = req.get("filter", "")
                mvs = [mv for vs in st.models.values() for mv in vs]
                if flt:
                    m = re.fullmatch(r"name\s*=\s*'([^']*)'", flt)
                    if not m:
                        raise ApiError(400, "INVALID_PARAMETER_VALUE",
                                       "unsupported filter %r" % flt)
                    mvs = [mv for mv in mvs if mv["name"] == m.group(1)]
                mr = int(req.get("max_results", "200"))
                if mr < 1 or mr > 200000:
                    raise ApiError(400, "INVALID_PARAMETER_VALUE",
                                   "max_results out of range")
                start = int(req.get("page_token") or 0)
                page = mvs[start:start + mr]
                out = {"model_versions": page}
                if start + mr < len(mvs):
                    out["next_page_token"] = str(start + mr)
                return self._send(200, out)
        raise ApiError(404, "ENDPOINT_NOT_FOUND", path)


class MlflowTestServer:
    """Start with `with MlflowTestServer(token) as s:`; s.url, s.violations,
    s.calls, s.store."""

    def __init__(self, token=None):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.token = token
        self.httpd.violations = []
        self.httpd.calls = []
        self.httpd.auth_failures = 0
        self.httpd.expect_auth_failure = False
        self.httpd.store = Store()
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def violations(self):
        return self.httpd.violations

    @property
    def calls(self):
        return self.httpd.calls

    @property
    def store(self):
        return self.httpd.store
