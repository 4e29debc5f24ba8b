"""The seed job (seeds/full_streaming_pipeline.json, a Jobs API get-job
response) runs locally, unchanged, against a workspace whose three
entries are small test executables resolved by basename (with and
without the .py extension), in dependency order."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner_util import Env, check, results  # noqa: E402

STEP = """#!/bin/sh
echo "$JOBCTL_TASK_KEY $0" >> "$JOBCTL_HOME/order"
echo "step $JOBCTL_TASK_KEY done"
"""


def main():
    shared = os.environ.get("JOBCTL_SHARED_DIR", "/work/shared")
    seed = os.path.join(shared, "seeds", "full_streaming_pipeline.json")
    e = Env()
    try:
        e.script("01_stream_kafka_to_bronze", STEP)
        e.script("02_bronze_to_silver_cleanse", STEP)
        e.script("03_monitor_silver_events", STEP)
        run, _ = e.run(seed, want_exit=0)
        check(run["state"]["result_state"] == "SUCCESS",
              "seed result %r" % run["state"])
        check(run["job_id"] == 514481533365670, "job_id kept from the file")
        check(results(run) == {"stream_kafka_to_bronze": "SUCCESS",
                               "bronze_to_silver_cleanse": "SUCCESS",
                               "monitor_silver_events": "SUCCESS"},
              "task results %r" % results(run))
        with open(os.path.join(e.home, "order")) as f:
            order = [line.split()[0] for line in f]
        check(order == ["stream_kafka_to_bronze", "bronze_to_silver_cleanse",
                        "monitor_silver_events"], "order %r" % order)
        # Every attempt records its executor, exit code and log.
        for t in run["tasks"]:
            x = t["x_jobctl"]
            check(x["executor"] == "local" and x["exit_code"] == 0,
                  "measures %r" % x)
            with open(x["log_path"]) as f:
                check(f.read() == "step %s done\n" % t["task_key"],
                      "log of %s" % t["task_key"])
        # A missing workspace entry fails that task with a clear message.
        os.unlink(os.path.join(e.ws, "03_monitor_silver_events"))
        run, _ = e.run(seed, want_exit=1)
        m = [t for t in run["tasks"]
             if t["task_key"] == "monitor_silver_events"][0]
        check("not found in workspace" in m["state"]["state_message"],
              "message %r" % m["state"]["state_message"])
    finally:
        e.close()
    print("ok")


main()
