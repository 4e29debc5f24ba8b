/* app.js: jobctl status page. Reads the same REST API as the CLI and SDKs
 * (/api/2.1/jobs/..., /api/jobctl/...), polls every 2 s while visible, and
 * draws the run DAG and the attempt timeline as SVG. No external assets. */
"use strict";

const POLL_MS = 2000;
const SVGNS = "http://www.w3.org/2000/svg";
let timer = null;
let logState = { run: 0, task: "", attempt: -1, offset: 0 };
let selectedTask = null;

function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined) continue;
    e.appendChild(typeof k === "string" || typeof k === "number"
      ? document.createTextNode(String(k)) : k);
  }
  return e;
}

function s(tag, attrs, ...kids) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined) continue;
    e.appendChild(typeof k === "string" ? document.createTextNode(k) : k);
  }
  return e;
}

async function api(path, opts) {
  const r = await fetch(path, Object.assign({ credentials: "same-origin" }, opts));
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (!r.ok) {
    const msg = body && body.message ? body.error_code + ": " + body.message : r.status + " " + r.statusText;
    throw new Error(msg);
  }
  return body;
}

function post(path, obj) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" },
                     body: JSON.stringify(obj) });
}

function stateOf(x) {
  const st = x.state || {};
  return st.result_state || st.life_cycle_state || "PENDING";
}

function badge(x) {
  const v = stateOf(x);
  return h("span", { class: "badge s-" + v }, v);
}

function fmtTime(ms) {
  if (!ms) return "-";
  const d = new Date(ms);
  return d.toISOString().replace("T", " ").slice(0, 19);
}

function fmtDur(ms) {
  if (ms === undefined || ms === null || ms < 0) return "-";
  if (ms < 1000) return ms + " ms";
  const s = ms / 1000;
  if (s < 60) return s.toFixed(1) + " s";
  const m = Math.floor(s / 60);
  if (m < 60) return m + "m " + Math.round(s % 60) + "s";
  return Math.floor(m / 60) + "h " + (m % 60) + "m";
}

function fmtCost(c) {
  return c ? "$" + c.toFixed(4) : "-";
}

function taskDur(t, now) {
  if (!t.start_time) return null;
  return (t.end_time || now) - t.start_time;
}

function setStatus(text, isError) {
  const el = document.getElementById("status");
  el.textContent = text;
  el.className = isError ? "error" : "";
}

/* ---- overview: jobs and runs ---- */

async function renderOverview(app) {
  const [jobs, runs] = await Promise.all([
    api("/api/2.1/jobs/list?limit=100"),
    api("/api/2.1/jobs/runs/list?limit=25&expand_tasks=true"),
  ]);
  const runList = runs.runs || [];
  const lastByJob = {};
  for (const r of runList) {
    if (r.job_id && !lastByJob[r.job_id]) lastByJob[r.job_id] = r;
  }
  /* jobs whose last run is older than the 25 most recent runs */
  const missing = (jobs.jobs || []).filter((j) => !lastByJob[j.job_id]).slice(0, 30);
  await Promise.all(missing.map(async (j) => {
    try {
      const r = await api(`/api/2.1/jobs/runs/list?job_id=${j.job_id}&limit=1`);
      if (r.runs && r.runs.length) lastByJob[j.job_id] = r.runs[0];
    } catch (e) { /* shown as "no runs" */ }
  }));
  const jobRows = (jobs.jobs || []).map((j) => {
    const sch = j.settings.schedule;
    const last = lastByJob[j.job_id];
    return h("tr", { class: "job-row", "data-job-id": String(j.job_id) },
      h("td", {}, j.settings.name || "(unnamed)"),
      h("td", { class: "muted" }, String(j.job_id)),
      h("td", { class: "schedule" }, sch
        ? sch.quartz_cron_expression + " " + (sch.timezone_id || "UTC") +
          (sch.pause_status === "PAUSED" ? " (paused)" : "")
        : h("span", { class: "muted" }, "manual")),
      h("td", {}, last ? h("a", { href: "#/runs/" + last.run_id }, badge(last)) :
        h("span", { class: "muted" }, "no runs")),
      h("td", { class: "muted" }, last ? fmtTime(last.start_time) : ""),
      h("td", {}, h("button", { onclick: () => runNow(j.job_id) }, "Run now")));
  });
  const now = Date.now();
  const runRows = runList.map((r) => {
    let cost = 0;
    for (const t of r.tasks || []) cost += (t["x-jobctl"] || {}).cost || 0;
    return h("tr", { class: "run-row", "data-run-id": String(r.run_id) },
      h("td", {}, h("a", { href: "#/runs/" + r.run_id }, String(r.run_id))),
      h("td", {}, r.run_name || ""),
      h("td", { class: "muted" }, r.trigger || ""),
      h("td", {}, badge(r)),
      h("td", {}, fmtTime(r.start_time)),
      h("td", {}, fmtDur(r.end_time ? r.end_time - r.start_time : now - r.start_time)),
      h("td", {}, fmtCost(cost)));
  });
  app.replaceChildren(
    h("h2", {}, "Jobs"),
    h("section", { class: "card" }, h("table", { id: "jobs" },
      h("thead", {}, h("tr", {}, ["Job", "ID", "Schedule", "Last result", "Last start", ""].map((x) => h("th", {}, x)))),
      h("tbody", {}, jobRows))),
    h("h2", {}, "Recent runs"),
    h("section", { class: "card" }, h("table", { id: "runs" },
      h("thead", {}, h("tr", {}, ["Run", "Name", "Trigger", "State", "Started", "Duration", "Cost"].map((x) => h("th", {}, x)))),
      h("tbody", {}, runRows))));
}

async function runNow(jobId) {
  try {
    const r = await post("/api/2.1/jobs/run-now", { job_id: jobId });
    location.hash = "#/runs/" + r.run_id;
  } catch (e) {
    setStatus(e.message, true);
  }
}

/* ---- run view: DAG, timeline, tasks, logs, values ---- */

function latestAttempts(run) {
  const m = new Map();
  for (const t of run.tasks || []) {
    const prev = m.get(t.task_key);
    if (!prev || (t.attempt_number || 0) >= (prev.attempt_number || 0)) m.set(t.task_key, t);
  }
  return m;
}

function drawDag(run) {
  const tasks = latestAttempts(run);
  const keys = [...tasks.keys()];
  const level = {};
  const visiting = new Set();
  function lvl(k) {
    if (level[k] !== undefined) return level[k];
    if (visiting.has(k)) return 0;
    visiting.add(k);
    let l = 0;
    for (const d of (tasks.get(k).depends_on || [])) {
      if (tasks.has(d.task_key)) l = Math.max(l, lvl(d.task_key) + 1);
    }
    visiting.delete(k);
    level[k] = l;
    return l;
  }
  keys.forEach(lvl);
  const cols = {};
  for (const k of keys) (cols[level[k]] = cols[level[k]] || []).push(k);
  const W = 170, H = 34, GX = 60, GY = 18, PAD = 10;
  const pos = {};
  let maxRows = 0;
  for (const [l, ks] of Object.entries(cols)) {
    ks.forEach((k, i) => { pos[k] = { x: PAD + Number(l) * (W + GX), y: PAD + i * (H + GY) }; });
    maxRows = Math.max(maxRows, ks.length);
  }
  const ncols = Object.keys(cols).length;
  const width = PAD * 2 + ncols * W + Math.max(0, ncols - 1) * GX;
  const height = PAD * 2 + maxRows * H + Math.max(0, maxRows - 1) * GY;
  const svg = s("svg", { id: "dag", width: Math.max(width, 200), height: Math.max(height, 60),
                         viewBox: "0 0 " + Math.max(width, 200) + " " + Math.max(height, 60) });
  svg.appendChild(s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5",
    markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" },
    s("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#8b929c" }))));
  for (const k of keys) {
    for (const d of (tasks.get(k).depends_on || [])) {
      if (!pos[d.task_key]) continue;
      const a = pos[d.task_key], b = pos[k];
      const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
      const mx = (x1 + x2) / 2;
      svg.appendChild(s("path", { class: "dag-edge", "data-from": d.task_key, "data-to": k,
        d: `M ${x1} ${y1} C ${mx} ${y1}, ${mx} ${y2}, ${x2} ${y2}`, "marker-end": "url(#arrow)" }));
    }
  }
  const colors = { SUCCESS: "#c9f0d6", FAILED: "#f8c9c9", TIMEDOUT: "#f8c9c9", RUNNING: "#cddcfb",
    PENDING: "#cddcfb", QUEUED: "#f6e3b4", BLOCKED: "#eeeeee", CANCELED: "#e6d3fb",
    UPSTREAM_FAILED: "#f3dede", UPSTREAM_CANCELED: "#eeeeee", EXCLUDED: "#eeeeee",
    WAITING_FOR_RETRY: "#f6e3b4", SKIPPED: "#eeeeee", INTERNAL_ERROR: "#f8c9c9" };
  for (const k of keys) {
    const t = tasks.get(k), p = pos[k], st = stateOf(t);
    const g = s("g", { class: "dag-node" + (k === selectedTask ? " selected" : ""), "data-task": k,
                       "data-state": st, transform: `translate(${p.x},${p.y})`,
                       onclick: () => { selectedTask = k; logState.task = ""; refresh(); } },
      s("rect", { width: W, height: H, fill: colors[st] || "#eeeeee" }),
      s("text", { x: 8, y: 14 }, k.length > 22 ? k.slice(0, 21) + "…" : k),
      s("text", { x: 8, y: 28, fill: "#555" }, st + (t.attempt_number ? " (try " + (t.attempt_number + 1) + ")" : "")),
      s("title", {}, k + ": " + st));
    svg.appendChild(g);
  }
  return svg;
}

function drawGantt(run, now) {
  const attempts = (run.tasks || []).filter((t) => t.start_time);
  const t0 = Math.min(...attempts.map((t) => t.start_time), run.start_time || now);
  const t1 = Math.max(...attempts.map((t) => t.end_time || now), t0 + 1);
  const LABEL = 160, W = 520, ROW = 22, PAD = 6;
  const height = PAD * 2 + Math.max(1, attempts.length) * ROW + 18;
  const svg = s("svg", { id: "gantt", width: "100%", height,
                         viewBox: `0 0 ${LABEL + W + 20} ${height}` });
  const scale = (x) => LABEL + ((x - t0) / (t1 - t0)) * W;
  const fills = { SUCCESS: "#1f9d55", FAILED: "#d64545", TIMEDOUT: "#d64545", CANCELED: "#a855f7",
                  RUNNING: "#2f6fde" };
  attempts.sort((a, b) => a.start_time - b.start_time);
  attempts.forEach((t, i) => {
    const y = PAD + i * ROW;
    const x1 = scale(t.start_time), x2 = Math.max(scale(t.end_time || now), x1 + 2);
    const st = stateOf(t);
    svg.appendChild(s("text", { x: 4, y: y + 14 }, t.task_key + (t.attempt_number ? " #" + (t.attempt_number + 1) : "")));
    svg.appendChild(s("rect", { class: "gantt-bar", "data-task": t.task_key, "data-attempt": String(t.attempt_number || 0),
      x: x1, y: y + 3, width: x2 - x1, height: ROW - 8, rx: 3, fill: fills[st] || "#8a8f98" },
      s("title", {}, `${t.task_key} attempt ${t.attempt_number || 0}: ${st}, ${fmtDur(taskDur(t, now))}`)));
  });
  svg.appendChild(s("text", { x: LABEL, y: height - 4, fill: "#777" }, "0"));
  svg.appendChild(s("text", { x: LABEL + W - 40, y: height - 4, fill: "#777" }, fmtDur(t1 - t0)));
  return svg;
}

async function tailLog(run, pre) {
  const task = selectedTask;
  if (!task) return;
  const latest = latestAttempts(run).get(task);
  if (!latest || !latest.start_time) {
    pre.textContent = "(no log yet)";
    return;
  }
  const attempt = latest.attempt_number || 0;
  if (logState.run !== run.run_id || logState.task !== task || logState.attempt !== attempt) {
    logState = { run: run.run_id, task, attempt, offset: -1, text: "" };
  }
  const q = `/api/jobctl/logs?run_id=${run.run_id}&task_key=${encodeURIComponent(task)}&attempt=${attempt}` +
            (logState.offset >= 0 ? `&offset=${logState.offset}` : "");
  try {
    const r = await api(q);
    if (logState.offset < 0 && r.size > r.data.length) logState.text = "…\n";
    logState.text = (logState.text + r.data).slice(-200000);
    logState.offset = r.offset;
  } catch (e) {
    logState.text = "(" + e.message + ")";
  }
  pre.textContent = logState.text || "(empty log)";
  pre.scrollTop = pre.scrollHeight;
}

async function renderRun(app, runId) {
  const run = await api(`/api/2.1/jobs/runs/get?run_id=${runId}&include_history=true`);
  const vals = await api(`/api/jobctl/values?run_id=${runId}`);
  const now = Date.now();
  const tasks = latestAttempts(run);
  if (!selectedTask || !tasks.has(selectedTask)) {
    let pick = null;
    for (const [k, t] of tasks) {
      const st = stateOf(t);
      if (st === "FAILED" || st === "TIMEDOUT" || st === "RUNNING") { pick = k; break; }
    }
    selectedTask = pick || [...tasks.keys()].find((k) => tasks.get(k).start_time) || [...tasks.keys()][0];
  }
  const active = !["TERMINATED", "SKIPPED", "INTERNAL_ERROR"].includes(run.state.life_cycle_state);
  const cost = (run["x-jobctl"] || {}).cost || 0;
  const actions = [];
  if (active) actions.push(h("button", { onclick: () => post("/api/2.1/jobs/runs/cancel", { run_id: run.run_id }).then(refresh, (e) => setStatus(e.message, true)) }, "Cancel"));
  else if (["FAILED", "TIMEDOUT", "CANCELED"].includes(run.state.result_state)) {
    const hist = run.repair_history || [];
    const latest = hist.filter((x) => x.type === "REPAIR").map((x) => x.id).pop();
    const body = { run_id: run.run_id, rerun_all_failed_tasks: true };
    if (latest) body.latest_repair_id = latest;
    actions.push(h("button", { onclick: () => post("/api/2.1/jobs/runs/repair", body).then(refresh, (e) => setStatus(e.message, true)) }, "Repair failed tasks"));
  }
  const attemptRows = (run.tasks || []).map((t) => {
    const x = t["x-jobctl"] || {};
    return h("tr", { class: "task-row", "data-task": t.task_key },
      h("td", {}, h("span", { class: "link", onclick: () => { selectedTask = t.task_key; refresh(); } }, t.task_key)),
      h("td", {}, String(t.attempt_number || 0)),
      h("td", {}, badge(t)),
      h("td", {}, fmtTime(t.start_time)),
      h("td", {}, fmtDur(taskDur(t, now))),
      h("td", {}, x.exit_code === undefined || x.exit_code < 0 ? "-" : String(x.exit_code)),
      h("td", {}, x.cpu_user_s !== undefined ? (x.cpu_user_s + x.cpu_sys_s).toFixed(2) + " s" : "-"),
      h("td", {}, fmtCost(x.cost)),
      h("td", { class: "muted" }, (t.state && t.state.state_message) || ""));
  });
  const valRows = (vals.values || []).map((v) =>
    h("tr", {}, h("td", {}, v.task_key), h("td", {}, v.key), h("td", {}, v.value)));
  const pre = h("pre", { id: "log" }, logState.text || "");
  app.replaceChildren(
    h("h2", { id: "run-title" }, `Run ${run.run_id}: ${run.run_name || ""} `, badge(run), " ", ...actions),
    h("section", { class: "card" }, h("table", { class: "kv" }, h("tbody", {},
      h("tr", {}, h("td", {}, "Job"), h("td", {}, run.job_id ? String(run.job_id) : "one-time (runs/submit)")),
      h("tr", {}, h("td", {}, "Trigger"), h("td", {}, run.trigger || "")),
      h("tr", {}, h("td", {}, "Started"), h("td", {}, fmtTime(run.start_time))),
      h("tr", {}, h("td", {}, "Duration"), h("td", {}, fmtDur(run.run_duration))),
      h("tr", {}, h("td", {}, "Cost"), h("td", {}, fmtCost(cost))),
      h("tr", {}, h("td", {}, "Message"), h("td", {}, run.state.state_message || ""))))),
    h("div", { class: "grid" },
      h("div", {},
        h("h2", {}, "Task graph"), h("section", { class: "card" }, drawDag(run)),
        h("h2", {}, "Timeline"), h("section", { class: "card" }, drawGantt(run, now)),
        h("h2", {}, "Attempts"), h("section", { class: "card" }, h("table", { id: "attempts" },
          h("thead", {}, h("tr", {}, ["Task", "Attempt", "State", "Started", "Duration", "Exit", "CPU", "Cost", "Message"].map((x) => h("th", {}, x)))),
          h("tbody", {}, attemptRows)))),
      h("div", {},
        h("h2", {}, "Log: " + (selectedTask || "")), pre,
        h("h2", {}, "Task values"), h("section", { class: "card" }, valRows.length
          ? h("table", { id: "values" }, h("thead", {}, h("tr", {}, ["Task", "Name", "Value"].map((x) => h("th", {}, x)))), h("tbody", {}, valRows))
          : h("span", { class: "muted" }, "none")))));
  await tailLog(run, pre);
}

/* ---- lake tables ---- */

async function renderTables(app) {
  const r = await api("/api/jobctl/tables");
  const cards = (r.tables || []).map((t) => h("section", { class: "card table-card", "data-table": t.name },
    h("h2", {}, `${t.name}  `, h("span", { class: "muted" }, `version ${t.version}` + (t.rows !== undefined ? `, ${t.rows} rows` : ""))),
    h("table", {}, h("thead", {}, h("tr", {}, ["Version", "Time", "Operation", "Rows added"].map((x) => h("th", {}, x)))),
      h("tbody", {}, (t.history || []).map((c) => h("tr", {},
        h("td", {}, String(c.version)), h("td", {}, fmtTime(c.timestamp)),
        h("td", {}, c.operation || ""), h("td", {}, String(c.rows_added || 0))))))));
  const scoreCards = [];
  for (const t of (r.tables || [])) {
    if (t.name !== "gold_anomaly_predictions" && t.name !== "gold_events_scored") continue;
    try {
      const sc = await api("/api/jobctl/scores?table=" + encodeURIComponent(t.name));
      if (sc.exists && sc.bins && sc.bins.length) scoreCards.push(drawScores(sc));
    } catch (e) { /* table without anomaly_score */ }
  }
  app.replaceChildren(
    scoreCards.length ? h("h2", {}, "Anomaly score distribution") : null, ...scoreCards,
    h("h2", {}, "Delta tables"),
    cards.length ? h("div", {}, cards) : h("p", { class: "muted" }, "No tables under $JOBCTL_HOME/lake yet."));
}

function drawScores(sc) {
  const W = 620, H = 160, PAD = 24;
  const max = Math.max(...sc.bins.map((b) => b.count), 1);
  const bw = (W - PAD * 2) / sc.bins.length;
  const svg = s("svg", { class: "hist", id: "scores-" + sc.table, width: "100%", height: H + 30,
                         viewBox: `0 0 ${W} ${H + 30}` });
  sc.bins.forEach((b, i) => {
    const bh = (b.count / max) * (H - PAD);
    svg.appendChild(s("rect", { class: "score-bin", x: PAD + i * bw + 1, y: H - bh, width: bw - 2, height: bh },
      s("title", {}, `${b.lo.toFixed(3)} .. ${b.hi.toFixed(3)}: ${b.count}`)));
  });
  svg.appendChild(s("text", { x: PAD, y: H + 16 }, sc.min.toFixed(3)));
  svg.appendChild(s("text", { x: W - PAD - 50, y: H + 16 }, sc.max.toFixed(3)));
  return h("section", { class: "card" },
    h("div", { class: "muted" }, `${sc.table} version ${sc.version}: ${sc.rows} scores` +
      (sc.sampled < sc.rows ? ` (histogram of the first ${sc.sampled})` : "")), svg);
}

/* ---- routing and polling ---- */

async function refresh() {
  const app = document.getElementById("app");
  const hash = location.hash || "#/";
  try {
    const m = hash.match(/^#\/runs\/(\d+)/);
    if (m) await renderRun(app, Number(m[1]));
    else if (hash.startsWith("#/tables")) await renderTables(app);
    else await renderOverview(app);
    setStatus("updated " + new Date().toLocaleTimeString());
    document.body.setAttribute("data-ready", "1");
  } catch (e) {
    setStatus(e.message, true);
    if (/UNAUTHENTICATED|PERMISSION_DENIED/.test(e.message)) location.href = "/login";
  }
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    if (!document.hidden) await refresh();
    schedule();
  }, POLL_MS);
}

window.addEventListener("hashchange", () => { selectedTask = null; logState = { run: 0, task: "", attempt: -1, offset: 0 }; refresh(); });
refresh().then(schedule);
