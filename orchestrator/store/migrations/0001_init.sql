-- 0001_init.sql: jobs, runs, task runs (one row per attempt), task values,
-- events. Embedded into the binary by migrations.c (keep them identical;
-- unit.store.store checks).
CREATE TABLE jobs (
    job_id        INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    source_path   TEXT,
    created_ms    INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL
);
CREATE INDEX jobs_name ON jobs(name);
CREATE TABLE runs (
    run_id              INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id              INTEGER REFERENCES jobs(job_id) ON DELETE SET NULL,
    run_name            TEXT,
    run_type            TEXT NOT NULL DEFAULT 'JOB_RUN',
    trigger             TEXT NOT NULL DEFAULT 'ONE_TIME',
    life_cycle_state    TEXT NOT NULL,
    result_state        TEXT,
    state_message       TEXT NOT NULL DEFAULT '',
    start_ms            INTEGER NOT NULL,
    end_ms              INTEGER NOT NULL DEFAULT 0,
    job_parameters_json TEXT NOT NULL DEFAULT '[]',
    repair_history_json TEXT NOT NULL DEFAULT '[]',
    settings_json       TEXT,
    idempotency_token   TEXT UNIQUE,
    workspace           TEXT,
    repair_count        INTEGER NOT NULL DEFAULT 0,
    owner_pid           INTEGER NOT NULL DEFAULT 0,
    owner_start         INTEGER NOT NULL DEFAULT 0,
    owner_boot_id       TEXT,
    cancel_requested    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_job ON runs(job_id, run_id);
CREATE INDEX runs_life ON runs(life_cycle_state);
CREATE TABLE task_runs (
    task_run_id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id               INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    task_key             TEXT NOT NULL,
    attempt_number       INTEGER NOT NULL,
    repair_id            INTEGER NOT NULL DEFAULT 0,
    life_cycle_state     TEXT NOT NULL,
    result_state         TEXT,
    state_message        TEXT NOT NULL DEFAULT '',
    start_ms             INTEGER NOT NULL DEFAULT 0,
    end_ms               INTEGER NOT NULL DEFAULT 0,
    exit_code            INTEGER NOT NULL DEFAULT -1,
    executor             TEXT NOT NULL DEFAULT 'local',
    remote_run_id        TEXT,
    log_path             TEXT,
    cpu_user_s           REAL NOT NULL DEFAULT 0,
    cpu_sys_s            REAL NOT NULL DEFAULT 0,
    max_rss_kb           INTEGER NOT NULL DEFAULT 0,
    read_bytes           INTEGER NOT NULL DEFAULT -1,
    write_bytes          INTEGER NOT NULL DEFAULT -1,
    cost                 REAL NOT NULL DEFAULT 0,
    resolved_params_json TEXT,
    pid                  INTEGER NOT NULL DEFAULT 0,
    pgid                 INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX task_runs_run ON task_runs(run_id, task_key, attempt_number);
CREATE TABLE task_values (
    run_id   INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    task_key TEXT NOT NULL,
    attempt  INTEGER NOT NULL,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    set_ms   INTEGER NOT NULL,
    PRIMARY KEY (run_id, task_key, key, attempt)
);
CREATE TABLE events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ms    INTEGER NOT NULL,
    run_id   INTEGER,
    task_key TEXT,
    type     TEXT NOT NULL,
    message  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_run ON events(run_id, event_id);
