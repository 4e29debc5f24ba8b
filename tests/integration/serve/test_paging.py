#!/usr/bin/env python3
"""test_paging: API 2.2 array paging in jobs/get and runs/get of `jobctl
serve` over real HTTP: a job of 150 tasks and 105 parameters comes back
under /api/2.2 as pages of 100 + the rest, and following next_page_token
(appending each array) reassembles exactly the /api/2.1 answer, for the job
and for a finished run of it (150 task attempts, 105 job_parameters).
Bad, tampered and foreign tokens are 400 INVALID_PARAMETER_VALUE; a token
of a job changed since is refused; a run that progresses between pages is
read as of the first page (each task exactly once). jobs/list and
runs/list with expand_tasks cut each item to 100 and set has_more. The official
Databricks JS SDK (@databricks/sdk-experimental 0.17.0) does not loop by
itself: its jobs.get / jobs.getRun return page 1 and next_page_token; the
loop written with its page_token parameter reads the job and the run
completely."""
import copy
import json
import os
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import Daemon, check, main, wait_for  # noqa: E402

NTASKS = 150
NPARAMS = 105
JOB_ARRAYS = ("tasks", "job_clusters", "parameters", "environments")
RUN_ARRAYS = ("tasks", "job_clusters", "job_parameters", "repair_history",
              "iterations")


def big_job(name, gate=None):
    tasks = []
    for i in range(NTASKS):
        t = {"task_key": "t%03d" % i, "command_task": {"command": ["true"]}}
        if gate and i == 0:
            t["command_task"]["command"] = ["sh", "-c",
                                            "while [ ! -f %s ]; do sleep 0.05;"
                                            " done" % gate]
        elif gate:
            t["depends_on"] = [{"task_key": "t000"}]
        tasks.append(t)
    return {"name": name, "max_concurrent_runs": 2, "tasks": tasks,
            "parameters": [{"name": "p%03d" % i, "default": str(i)}
                           for i in range(NPARAMS)]}


def get(d, ver, path, expect=200):
    st, j, _ = d.get("/api/%s/jobs/%s" % (ver, path))
    check(st == expect, "GET %s %s -> %d %r (wanted %d)" %
          (ver, path, st, j, expect))
    return j


def follow(d, path, arrays, inner=None):
    """The client loop: re-issue path with page_token, append arrays."""
    pages = [get(d, "2.2", path)]
    whole = copy.deepcopy(pages[0])
    while pages[-1].get("next_page_token"):
        check(len(pages) < 10, "paging does not end")
        tok = urllib.parse.quote(pages[-1]["next_page_token"])
        page = get(d, "2.2", path + "&page_token=" + tok)
        pages.append(page)
        src = page[inner] if inner else page
        dst = whole[inner] if inner else whole
        for a in arrays:
            if a in src:
                dst.setdefault(a, []).extend(src[a])
    whole.pop("next_page_token", None)
    return pages, whole


def err(d, path, what, msg=None):
    st, j, _ = d.get("/api/2.2/jobs/" + path)
    check(st == 400 and isinstance(j, dict) and
          j.get("error_code") == "INVALID_PARAMETER_VALUE",
          "%s: %d %r, wanted 400 INVALID_PARAMETER_VALUE" % (what, st, j))
    if msg:
        check(msg in j["message"], "%s: message %r lacks %r" %
              (what, j["message"], msg))
    return j


def test_job(d):
    job_id = d.create_job(big_job("big"))
    full = get(d, "2.1", "get?job_id=%d" % job_id)
    check(len(full["settings"]["tasks"]) == NTASKS and
          "next_page_token" not in full, "2.1 returns the whole job at once")
    pages, whole = follow(d, "get?job_id=%d" % job_id, JOB_ARRAYS,
                          "settings")
    p1 = pages[0]["settings"]
    check(len(pages) == 2, "2.2 jobs/get: %d pages, wanted 2" % len(pages))
    check(len(p1["tasks"]) == 100 and len(p1["parameters"]) == 100,
          "page 1 has 100 tasks and 100 parameters")
    p2 = pages[1]["settings"]
    check(len(p2["tasks"]) == NTASKS - 100 and
          len(p2["parameters"]) == NPARAMS - 100,
          "page 2 has the rest: %d tasks, %d parameters" %
          (len(p2["tasks"]), len(p2["parameters"])))
    check("next_page_token" not in pages[1], "last page has no token")
    check(whole == full, "reassembled 2.2 job differs from the 2.1 answer")
    # jobs/list expand_tasks: 2.2 cuts each item to a page, has_more
    lst = get(d, "2.2", "list?expand_tasks=true&name=big")["jobs"][0]
    check(len(lst["settings"]["tasks"]) == 100 and lst.get("has_more"),
          "2.2 jobs/list expand_tasks: 100 tasks and has_more")
    lst = get(d, "2.1", "list?expand_tasks=true&name=big")["jobs"][0]
    check(len(lst["settings"]["tasks"]) == NTASKS and "has_more" not in lst,
          "2.1 jobs/list expand_tasks: everything")
    # a small job is one page, no token
    small = d.create_job({"name": "small", "tasks": [
        {"task_key": "a", "command_task": {"command": ["true"]}}]})
    j = get(d, "2.2", "get?job_id=%d" % small)
    check("next_page_token" not in j and len(j["settings"]["tasks"]) == 1,
          "a small job has no next_page_token")

    tok = pages[0]["next_page_token"]
    q = urllib.parse.quote
    err(d, "get?job_id=%d&page_token=garbage" % job_id, "garbage token",
        "page_token")
    bad = tok[:-1] + ("0" if tok[-1] != "0" else "1")
    err(d, "get?job_id=%d&page_token=%s" % (job_id, q(bad)),
        "tampered token", "page_token")
    err(d, "get?job_id=%d&page_token=%s" % (small, q(tok)),
        "token of another job", "job %d" % job_id)
    # under 2.1 page_token is ignored: everything at once
    j = get(d, "2.1", "get?job_id=%d&page_token=%s" % (job_id, q(tok)))
    check(j == full, "2.1 ignores page_token")
    # the job changes between pages: the token is stale
    d.api("POST", "update", {"job_id": job_id,
                             "new_settings": {"description": "changed"}})
    err(d, "get?job_id=%d&page_token=%s" % (job_id, q(tok)),
        "token of a changed job", "changed")
    return job_id, tok


def test_run(d, job_id, job_tok):
    run_id = d.run_now(job_id)
    d.wait_run(run_id, timeout=120)
    path = "runs/get?run_id=%d&include_history=true" % run_id
    full = get(d, "2.1", path)
    check(len(full["tasks"]) == NTASKS and
          len(full["job_parameters"]) == NPARAMS,
          "2.1 run: %d tasks, %d job_parameters" %
          (len(full["tasks"]), len(full["job_parameters"])))
    pages, whole = follow(d, path, RUN_ARRAYS)
    check(len(pages) == 2, "2.2 runs/get: %d pages" % len(pages))
    check(len(pages[0]["tasks"]) == 100 and
          len(pages[1]["tasks"]) == NTASKS - 100,
          "run pages of 100 + %d tasks" % (NTASKS - 100))
    check(len(pages[1]["job_parameters"]) == NPARAMS - 100,
          "job_parameters paged too")
    check("repair_history" not in pages[1],
          "an exhausted array is omitted from later pages")
    check(whole == full, "reassembled 2.2 run differs from the 2.1 answer")
    q = "runs/list?job_id=%d&expand_tasks=true" % job_id
    item = get(d, "2.2", q)["runs"][0]
    check(len(item["tasks"]) == 100 and item.get("has_more"),
          "2.2 runs/list expand_tasks: 100 tasks and has_more")
    item = get(d, "2.1", q)["runs"][0]
    check(len(item["tasks"]) == NTASKS and "has_more" not in item,
          "2.1 runs/list expand_tasks: everything")
    # a run token is not a job token, nor another run's
    tok = pages[0]["next_page_token"]
    q = urllib.parse.quote
    err(d, "get?job_id=%d&page_token=%s" % (job_id, q(tok)),
        "run token on jobs/get", "runs/get")
    err(d, "runs/get?run_id=%d&page_token=%s" % (run_id, q(job_tok)),
        "job token on runs/get", "jobs/get")
    err(d, "runs/get?run_id=%d&page_token=%s" % (run_id + 1000, q(tok)),
        "token of another run")
    return run_id


def test_progress(d):
    """Page 1 while the run waits on its first task, page 2 after it has
    finished: the chain shows the run as of page 1, each task once."""
    gate = os.path.join(d.tmp, "gate")
    job_id = d.create_job(big_job("gated", gate=gate))
    run_id = d.run_now(job_id)
    path = "runs/get?run_id=%d" % run_id

    def started():
        j = get(d, "2.2", path)
        t0 = j["tasks"][0]
        return j if t0["task_key"] == "t000" and \
            t0["state"]["life_cycle_state"] == "RUNNING" else None
    p1 = wait_for(started, timeout=60, what="first task running")
    check(p1.get("next_page_token"), "page 1 of a running run has a token")
    with open(gate, "w"):
        pass
    final = d.wait_run(run_id, timeout=120)
    check(final["state"]["result_state"] == "SUCCESS", "gated run succeeds")
    tok = urllib.parse.quote(p1["next_page_token"])
    p2 = get(d, "2.2", path + "&page_token=" + tok)
    keys = [t["task_key"] for t in p1["tasks"] + p2["tasks"]]
    check(sorted(keys) == ["t%03d" % i for i in range(NTASKS)],
          "each task exactly once across the pages: %d entries, %d keys" %
          (len(keys), len(set(keys))))
    check(all(t["state"]["life_cycle_state"] == "BLOCKED"
              for t in p2["tasks"]),
          "tasks that had not started at page 1 stay placeholders")
    check("next_page_token" not in p2, "two pages")
    # a fresh read shows the finished run
    pages, whole = follow(d, path, RUN_ARRAYS)
    check(len(whole["tasks"]) == NTASKS and
          all(t["state"].get("result_state") == "SUCCESS"
              for t in whole["tasks"]), "a fresh read is complete")


SDK_LOOP = r"""
import { WorkspaceClient } from "@databricks/sdk-experimental";
const [host, token, jobId, runId] = process.argv.slice(1);
const w = new WorkspaceClient({ host, token, authType: "pat" });
const out = { pages: {} };
async function all(label, get, req, arrays, inner) {
  const first = await get(req);
  const whole = first;
  let tok = first.next_page_token;
  let n = 1;
  out.pages[label + "_first"] = (inner ? first[inner] : first).tasks.length;
  while (tok) {
    const p = await get({ ...req, page_token: tok });
    const src = inner ? p[inner] : p;
    const dst = inner ? whole[inner] : whole;
    for (const a of arrays)
      if (src && src[a]) dst[a] = (dst[a] || []).concat(src[a]);
    tok = p.next_page_token;
    n++;
  }
  delete whole.next_page_token;
  out.pages[label] = n;
  return whole;
}
out.job = await all("job", (r) => w.jobs.get(r), { job_id: Number(jobId) },
  ["tasks", "job_clusters", "parameters", "environments"], "settings");
out.run = await all("run", (r) => w.jobs.getRun(r),
  { run_id: Number(runId), include_history: true },
  ["tasks", "job_clusters", "job_parameters", "repair_history", "iterations"]);
console.log(JSON.stringify(out));
"""


def test_sdk(d, job_id, run_id):
    node_dir = os.environ["JOBCTL_NODE_DIR"]
    p = subprocess.run(["node", "--input-type=module", "-e", SDK_LOOP,
                        d.base, d.token, str(job_id), str(run_id)],
                       cwd=node_dir, capture_output=True, text=True,
                       timeout=60)
    check(p.returncode == 0, "sdk loop failed: %s" % p.stderr[-2000:])
    r = json.loads(p.stdout)
    check(r["pages"] == {"job_first": 100, "job": 2, "run_first": 100,
                         "run": 2},
          "SDK get/getRun return 100 tasks, the loop 2 pages: %r" %
          r["pages"])
    full_job = get(d, "2.1", "get?job_id=%d" % job_id)
    full_run = get(d, "2.1", "runs/get?run_id=%d&include_history=true"
                   % run_id)
    check(r["job"] == full_job, "SDK-assembled job differs from 2.1")
    check(r["run"] == full_run, "SDK-assembled run differs from 2.1")


def test():
    d = Daemon(token="paging-token").start()
    try:
        job_id, tok = test_job(d)
        run_id = test_run(d, job_id, tok)
        test_sdk(d, job_id, run_id)
        test_progress(d)
        check("Traceback" not in d.read_log(), "daemon log clean")
    finally:
        d.stop()
        d.cleanup()


if __name__ == "__main__":
    main(test)
