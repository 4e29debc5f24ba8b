// databricks_sdk_check.mjs HOST TOKEN FLAG_FILE: drive `jobctl serve` with
// the official Databricks SDK for JavaScript (@databricks/sdk-experimental,
// which calls the /api/2.2/jobs/ paths): list jobs, run-now and wait, list
// and get runs, repair, cancel, submit. Prints one JSON object of results.
// Jobs expected in the daemon: "sdk_job" (a -> b, b fails until FLAG_FILE
// exists) and "sdk_slow" (one long task).
import { WorkspaceClient } from "@databricks/sdk-experimental";
import { writeFileSync } from "node:fs";

const [host, token, flag] = process.argv.slice(2);
const w = new WorkspaceClient({ host, token, authType: "pat" });
const out = {};

const jobs = [];
for await (const j of w.jobs.list({})) jobs.push(j);
out.jobs = jobs.map((j) => j.settings?.name).sort();
const job = jobs.find((j) => j.settings?.name === "sdk_job");
const slow = jobs.find((j) => j.settings?.name === "sdk_slow");

const run = await (await w.jobs.runNow({ job_id: job.job_id })).wait();
out.run = [run.state.life_cycle_state, run.state.result_state];

const runs = [];
for await (const r of w.jobs.listRuns({ job_id: job.job_id })) runs.push(r.run_id);
out.listed = runs.includes(run.run_id);

const got = await w.jobs.getRun({ run_id: run.run_id });
out.tasks = got.tasks
  .map((t) => [t.task_key, t.attempt_number, t.state?.result_state])
  .sort();

writeFileSync(flag, "");
const repaired = await (
  await w.jobs.repairRun({ run_id: run.run_id, rerun_all_failed_tasks: true })
).wait();
out.repaired = repaired.state.result_state;
const hist = await w.jobs.getRun({ run_id: run.run_id, include_history: true });
out.repair_history = (hist.repair_history || []).map((h) => h.type);

const started = await w.jobs.runNow({ job_id: slow.job_id });
const canceled = await (await w.jobs.cancelRun({ run_id: started.run_id })).wait();
out.canceled = [canceled.state.life_cycle_state, canceled.state.result_state];

const sub = await (
  await w.jobs.submit({
    run_name: "sdk-submit",
    tasks: [{ task_key: "t", command_task: { command: ["true"] } }],
  })
).wait();
out.submit = sub.state.result_state;

let denied = "";
try {
  const bad = new WorkspaceClient({ host, token: "wrong", authType: "pat" });
  for await (const j of bad.jobs.list({})) void j;
} catch (e) {
  denied = e.errorCode || e.statusCode || String(e);
}
out.denied = String(denied);
process.stdout.write(JSON.stringify(out) + "\n");
