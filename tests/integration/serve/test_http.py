"""test_http: CI webhooks and hostile HTTP against `jobctl serve`. A push
hook with the right X-Hub-Signature-256 starts the job with git_ref and
git_sha parameters; a wrong or missing signature gets 401 and starts
nothing. Malformed HTTP (bad request line, huge headers, a truncated body
left hanging, bad JSON, oversized body) gets a 4xx and the daemon keeps
serving; 200 concurrent keep-alive connections are all answered."""
import hashlib
import hmac
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import Daemon, check, cmd_job, main, wait_for  # noqa: E402

SECRET = "hook-secret"


def sign(body):
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def runs_of(d, job_id):
    return d.api("GET", "runs/list?job_id=%d&limit=25" % job_id).get("runs", [])


def test_webhook(d):
    job = d.create_job(cmd_job("ci-build", [
        ("build", ["sh", "-c", "test \"$JOBCTL_PARAM_GIT_SHA\" = abc123"], [])],
        parameters=[{"name": "git_ref", "default": ""},
                    {"name": "git_sha", "default": ""}]))
    body = json.dumps({"ref": "refs/heads/main", "after": "abc123",
                       "repository": {"full_name": "o/r"}}).encode()
    hdr = {"X-GitHub-Event": "push", "Content-Type": "application/json"}
    # missing and wrong signatures: 401, no run
    st, j, _ = d.request("POST", "/hooks/github/ci-build", raw=body,
                         headers=hdr, token=None)
    check(st == 401 and j["error_code"] == "UNAUTHENTICATED",
          "missing signature -> 401: %d %r" % (st, j))
    bad = dict(hdr, **{"X-Hub-Signature-256": sign(body + b"x")})
    st, j, _ = d.request("POST", "/hooks/github/ci-build", raw=body,
                         headers=bad, token=None)
    check(st == 401, "wrong signature -> 401")
    bad = dict(hdr, **{"X-Hub-Signature-256": "sha256=zz"})
    st, j, _ = d.request("POST", "/hooks/github/%d" % job, raw=body,
                         headers=bad, token=None)
    check(st == 401, "malformed signature -> 401")
    check(runs_of(d, job) == [], "no run started by rejected hooks")
    # right signature, by name and by id
    good = dict(hdr, **{"X-Hub-Signature-256": sign(body),
                        "X-GitHub-Delivery": "delivery-1"})
    st, j, _ = d.request("POST", "/hooks/github/ci-build", raw=body,
                         headers=good, token=None)
    check(st == 200 and j["run_id"] > 0, "signed hook starts a run: %r" % j)
    r = d.wait_run(j["run_id"])
    params = {p["name"]: p.get("value") for p in r["job_parameters"]}
    check(params.get("git_ref") == "refs/heads/main" and
          params.get("git_sha") == "abc123", "ref and sha passed: %r" % params)
    check(r["state"]["result_state"] == "SUCCESS",
          "task saw the sha as a parameter: %r" % r["state"])
    # a redelivery (same delivery id) does not start a second run
    st, j2, _ = d.request("POST", "/hooks/github/ci-build", raw=body,
                          headers=good, token=None)
    check(st == 200 and j2["run_id"] == j["run_id"], "redelivery deduplicated")
    good2 = dict(hdr, **{"X-Hub-Signature-256": sign(body)})
    st, j3, _ = d.request("POST", "/hooks/github/%d" % job, raw=body,
                          headers=good2, token=None)
    check(st == 200 and j3["run_id"] != j["run_id"], "hook by job id")
    d.wait_run(j3["run_id"])
    st, j, _ = d.request("POST", "/hooks/github/nope", raw=body,
                         headers=good2, token=None)
    check(st == 404, "unknown job -> 404")
    check(len(runs_of(d, job)) == 2, "exactly two runs from hooks")


def raw(d, data, read_timeout=15):
    s = socket.create_connection(("127.0.0.1", d.port), timeout=read_timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out:
                head, _, rest = out.partition(b"\r\n\r\n")
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        if len(rest) >= int(line.split(b":")[1]):
                            return out
        return out
    finally:
        s.close()


def status_of(resp):
    try:
        return int(resp.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def healthy(d):
    st, j, _ = d.request("GET", "/healthz")
    check(st == 200, "daemon still serving")


def test_malformed(d):
    cases = [
        ("bad request line", b"HELLO THERE\r\n\r\n", (400, 501)),
        ("bad version", b"GET / HTTP/7\r\n\r\n", (400,)),
        ("bad header", b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n", (400,)),
        ("huge headers", b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 70000 +
         b"\r\n\r\n", (431,)),
        ("long url", b"GET /" + b"u" * 9000 + b" HTTP/1.1\r\n\r\n", (414,)),
        ("oversized body", b"POST /api/2.1/jobs/create HTTP/1.1\r\n"
         b"Content-Length: 5000000\r\n\r\n", (413,)),
        ("bad json", b"POST /api/2.1/jobs/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
         b"Content-Length: 9\r\n\r\n{\"name\":]", (400,)),
        ("bad escape", b"GET /%zz HTTP/1.1\r\n\r\n", (400,)),
        ("websocket upgrade", b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n"
         b"Connection: Upgrade\r\n\r\n", (400,)),
    ]
    for name, data, want in cases:
        resp = raw(d, data)
        st = status_of(resp)
        check(st in want, "%s: status %r, wanted %r (%r)" %
              (name, st, want, resp[:120]))
        healthy(d)
    # truncated body, client then goes quiet: 408 after the request timeout
    t0 = time.time()
    resp = raw(d, b"POST /api/2.1/jobs/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Content-Length: 100\r\n\r\n{\"name\":", read_timeout=20)
    check(status_of(resp) == 408, "truncated body -> 408: %r" % resp[:100])
    healthy(d)
    # slowloris: headers trickled one byte at a time never finish
    s = socket.create_connection(("127.0.0.1", d.port), timeout=20)
    s.sendall(b"GET /healthz HTTP/1.1\r\n")
    got = b""
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            s.sendall(b"X")
        except OSError:
            break
        s.settimeout(0.2)
        try:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        except socket.timeout:
            pass
        except OSError:
            break
    s.close()
    check(status_of(got) == 408 or got == b"", "slow client cut off: %r" % got[:80])
    check(time.time() - t0 < 60, "slow clients do not hang the test")
    healthy(d)


def test_expect_continue(d):
    body = json.dumps({"name": "expect", "tasks": [
        {"task_key": "a", "command_task": {"command": ["true"]}}]}).encode()
    s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    try:
        s.sendall(b"POST /api/2.1/jobs/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n"
                  % len(body))
        first = s.recv(4096)
        check(first.startswith(b"HTTP/1.1 100 Continue"),
              "100 Continue before the body: %r" % first)
        s.sendall(body)
        buf = b""
        while b"job_id" not in buf:
            chunk = s.recv(4096)
            check(chunk, "response after 100 Continue")
            buf += chunk
        check(b"HTTP/1.1 200" in buf, "created after 100 Continue")
    finally:
        s.close()


def test_many_connections(d):
    socks = []
    try:
        for _ in range(200):
            socks.append(socket.create_connection(("127.0.0.1", d.port),
                                                  timeout=20))
        for rnd in range(2):  # two requests on each kept-alive connection
            for s in socks:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            for s in socks:
                buf = b""
                while b"\r\n\r\n" not in buf or not buf.endswith(b"}"):
                    chunk = s.recv(4096)
                    check(chunk, "connection closed early")
                    buf += chunk
                check(buf.startswith(b"HTTP/1.1 200"), "200 on every conn")
                check(b"Connection: keep-alive" in buf, "kept alive")
        # pipelined requests come back in order
        s = socks[0]
        s.sendall(b"GET /healthz HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\n")
        buf = b""
        while buf.count(b"HTTP/1.1 ") < 2 or not buf.endswith(b"}"):
            chunk = s.recv(4096)
            check(chunk, "pipelined responses")
            buf += chunk
        check(buf.index(b"HTTP/1.1 200") < buf.index(b"HTTP/1.1 404"),
              "pipelined responses in order")
    finally:
        for s in socks:
            s.close()
    healthy(d)


def run():
    d = Daemon(webhook_secret=SECRET,
               extra_args=["--request-timeout-ms", "1500"]).start()
    try:
        test_webhook(d)
        test_malformed(d)
        test_expect_continue(d)
        test_many_connections(d)
        check("hook-secret" not in d.read_log(), "secret not logged")
        check(d.stop() == 0, "clean exit")
    finally:
        d.cleanup()
    # without JOBCTL_WEBHOOK_SECRET hooks are refused
    d = Daemon().start()
    try:
        job = d.create_job(cmd_job("x", [("a", ["true"], [])]))
        st, j, _ = d.request("POST", "/hooks/github/x", raw=b"{}",
                             headers={"X-Hub-Signature-256": "sha256=00"},
                             token=None)
        check(st == 403, "hooks disabled without a secret: %d" % st)
        check(runs_of(d, job) == [], "nothing started")
        # no token: loopback only, and the Host must be loopback too (DNS
        # rebinding protection)
        st, j, _ = d.request("GET", "/api/2.1/jobs/list",
                             headers={"Host": "attacker.example"})
        check(st == 403, "foreign Host refused without a token: %d" % st)
        st, j, _ = d.request("GET", "/api/2.1/jobs/list",
                             headers={"Host": "localhost:%d" % d.port})
        check(st == 200, "localhost Host accepted")
    finally:
        d.stop()
        d.cleanup()


if __name__ == "__main__":
    main(run)
