"""test_page: the status page in headless Chromium against a test daemon
with JOBCTL_TOKEN set. Logging in with /?token=T sets the session cookie;
the rendered DOM lists the job and its run, and the run view draws the
task DAG (nodes + edges), the attempt timeline, the log tail and task
values, and the Tables tab lists a Delta table with its row count and the
anomaly score histogram. Screenshots are kept in <build>/test-artifacts/. Without the
token the page shows the login form and no job data."""
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import JOBCTL, Daemon, check, main  # noqa: E402

TOKEN = "page-token-123"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = os.path.join(os.getcwd(), "test-artifacts")


class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elems = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.elems.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag=None, **attrs):
        out = []
        for t, a in self.elems:
            if tag and t != tag:
                continue
            ok = True
            for k, v in attrs.items():
                k = k.rstrip("_").replace("_", "-")
                if k == "class":
                    ok = ok and v in (a.get("class") or "").split()
                else:
                    ok = ok and a.get(k) == v
            if ok:
                out.append(a)
        return out

    def alltext(self):
        return "".join(self.text)


def chromium(d, url, profile, screenshot=None):
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--user-data-dir=" + profile,
            "--virtual-time-budget=8000", "--window-size=1400,1000"]
    if screenshot:
        args.append("--screenshot=" + screenshot)
    else:
        args.append("--dump-dom")
    env = dict(os.environ, HOME=d.tmp)
    p = subprocess.run(args + [url], capture_output=True, timeout=90, env=env)
    check(p.returncode == 0, "chromium failed: %r" % p.stderr[-500:])
    dom = Dom()
    dom.feed(p.stdout.decode("utf-8", "replace"))
    return dom


def run():
    d = Daemon(token=TOKEN).start()
    try:
        job = d.create_job({"name": "diamond", "schedule": {
            "quartz_cron_expression": "0 0 3 * * ?", "timezone_id": "UTC"},
            "tasks": [
                {"task_key": "extract", "command_task": {"command": [
                    "sh", "-c", "echo extract-log-line; echo rows=42 > \"$JOBCTL_TASK_VALUES\""]}},
                {"task_key": "left", "depends_on": [{"task_key": "extract"}],
                 "command_task": {"command": ["echo", "left"]}},
                {"task_key": "right", "depends_on": [{"task_key": "extract"}],
                 "command_task": {"command": ["echo", "right"]}},
                {"task_key": "load", "depends_on": [{"task_key": "left"},
                                                    {"task_key": "right"}],
                 "command_task": {"command": ["echo", "load"]}}]})
        run_id = d.run_now(job)
        check(d.wait_run(run_id)["state"]["result_state"] == "SUCCESS", "run ok")
        os.makedirs(ARTIFACTS, exist_ok=True)
        profile = os.path.join(d.tmp, "chromium")

        # no session: login form, no data
        dom = chromium(d, d.base + "/", profile + "-anon")
        check(dom.find("form", action="/login"), "login form shown")
        check("diamond" not in dom.alltext(), "no job data without a token")

        # log in through ?token=, land on the overview
        dom = chromium(d, d.base + "/?token=" + TOKEN + "#/", profile)
        rows = dom.find("tr", class_="job-row", data_job_id=str(job))
        check(rows, "job row rendered")
        check("diamond" in dom.alltext() and "0 0 3 * * ?" in dom.alltext(),
              "job name and schedule shown")
        check(dom.find("tr", class_="run-row", data_run_id=str(run_id)),
              "run row rendered")
        check(dom.find("span", class_="s-SUCCESS"), "state colour badge")

        # run view: DAG, timeline, log, values
        url = d.base + "/?token=" + TOKEN + "#/runs/%d" % run_id
        dom = chromium(d, url, profile)
        check(dom.find("svg", id="dag"), "DAG svg")
        nodes = {a.get("data-task") for a in dom.find("g", class_="dag-node")}
        check(nodes == {"extract", "left", "right", "load"},
              "DAG nodes: %r" % nodes)
        edges = {(a.get("data-from"), a.get("data-to"))
                 for a in dom.find("path", class_="dag-edge")}
        check(edges == {("extract", "left"), ("extract", "right"),
                        ("left", "load"), ("right", "load")},
              "DAG edges: %r" % edges)
        check(all(a.get("data-state") == "SUCCESS"
                  for a in dom.find("g", class_="dag-node")), "node states")
        check(dom.find("svg", id="gantt"), "timeline svg")
        bars = {a.get("data-task") for a in dom.find("rect", class_="gantt-bar")}
        check(bars == nodes, "one timeline bar per attempt: %r" % bars)
        text = dom.alltext()
        check("extract-log-line" in text, "log tail shows the task output")
        check("rows" in text and "42" in text, "task values shown")
        chromium(d, url, profile,
                 screenshot=os.path.join(ARTIFACTS, "serve-page-run.png"))
        chromium(d, d.base + "/?token=" + TOKEN + "#/", profile,
                 screenshot=os.path.join(ARTIFACTS, "serve-page-overview.png"))
        check(os.path.getsize(os.path.join(ARTIFACTS, "serve-page-run.png")) > 1000,
              "screenshot written")
        # lake tables + anomaly score histogram (table written by jobctl)
        rows = os.path.join(d.tmp, "gold.jsonl")
        with open(rows, "w") as f:
            for i in range(200):
                f.write('{"event_id": "e%d", "anomaly_score": %f, '
                        '"anomaly_flag": 1}\n' % (i, -0.6 + (i % 20) * 0.01))
        p = subprocess.run([JOBCTL, "table", "import", "gold_anomaly_predictions", "--from", rows,
            "--schema", "event_id:string,anomaly_score:double,anomaly_flag:int"],
            env=dict(os.environ, JOBCTL_HOME=d.home), capture_output=True,
            text=True, timeout=60)
        check(p.returncode == 0, "table import: %s" % p.stderr)
        dom = chromium(d, d.base + "/?token=" + TOKEN + "#/tables", profile)
        check(dom.find("section", class_="table-card",
                       data_table="gold_anomaly_predictions"), "table listed")
        check("200 rows" in dom.alltext(), "row count shown")
        check(len(dom.find("rect", class_="score-bin")) == 20,
              "anomaly score histogram drawn")
        chromium(d, d.base + "/?token=" + TOKEN + "#/tables", profile,
                 screenshot=os.path.join(ARTIFACTS, "serve-page-tables.png"))
        check(TOKEN not in d.read_log(), "token not logged")
    finally:
        d.stop()
        d.cleanup()


if __name__ == "__main__":
    main(run)
