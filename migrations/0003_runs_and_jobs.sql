-- Runs (one invocation of apply, plan, retry or destroy) and their jobs (one per
-- selected account), with every attempt of every job. This is the history: it is only
-- ever appended to and updated, never deleted.
CREATE TABLE runs (
    run_id        TEXT PRIMARY KEY NOT NULL,
    command       TEXT NOT NULL CHECK (command IN ('apply', 'plan', 'retry', 'destroy')),
    -- 'akeyless-gateway-role' for the built-in template, else the template directory's path
    -- (for a retry, each job records its own).
    template      TEXT NOT NULL,
    -- The fleetform process that owns the run; a run whose process is gone was killed.
    pid           INTEGER NOT NULL,
    parallel      INTEGER NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    outcome       TEXT CHECK (outcome IN ('succeeded', 'failed', 'interrupted'))
);

CREATE TABLE jobs (
    job_id               INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id               TEXT NOT NULL REFERENCES runs (run_id),
    account_id           TEXT NOT NULL REFERENCES accounts (account_id),
    -- What the job does to the account; a retry repeats the operation that failed.
    operation            TEXT NOT NULL CHECK (operation IN ('apply', 'plan', 'destroy')),
    -- The template this job used; a retry uses the same one.
    template             TEXT NOT NULL,
    status               TEXT NOT NULL
                         CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'interrupted', 'skipped')),
    -- Why a job was skipped: 'up to date' or 'failure tolerance exceeded'.
    skip_reason          TEXT,
    attempts             INTEGER NOT NULL DEFAULT 0,
    config_hash          TEXT,
    -- The terraform process of the current attempt, so a later run can wait for a
    -- terraform that outlived a killed fleetform instead of racing it for the state lock.
    terraform_pid        INTEGER,
    role_arn             TEXT,
    policy_arn           TEXT,
    instance_profile_arn TEXT,
    plan_add             INTEGER,
    plan_change          INTEGER,
    plan_destroy         INTEGER,
    error                TEXT,
    log_path             TEXT,
    started_at           TEXT,
    finished_at          TEXT,
    updated_at           TEXT NOT NULL,
    UNIQUE (run_id, account_id)
);

CREATE INDEX jobs_by_account ON jobs (account_id, job_id);
CREATE INDEX jobs_by_status ON jobs (status);

CREATE TABLE job_attempts (
    job_id       INTEGER NOT NULL REFERENCES jobs (job_id),
    attempt      INTEGER NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    -- How terraform ended: 'exit 0', 'exit 1', 'signal 9'; NULL while running.
    termination  TEXT,
    transient    INTEGER NOT NULL DEFAULT 0 CHECK (transient IN (0, 1)),
    error        TEXT,
    PRIMARY KEY (job_id, attempt)
);

-- Where each account stands, kept in the same transaction as the job that changed it so
-- that `status` and `retry` read one row per account instead of searching the history.
CREATE TABLE account_state (
    account_id           TEXT PRIMARY KEY NOT NULL REFERENCES accounts (account_id),
    status               TEXT NOT NULL,
    role_arn             TEXT,
    policy_arn           TEXT,
    instance_profile_arn TEXT,
    -- Config hash of the last successful apply: equal hash means up to date.
    applied_config_hash  TEXT,
    last_run_id          TEXT,
    last_job_id          INTEGER,
    attempts             INTEGER NOT NULL DEFAULT 0,
    error                TEXT,
    updated_at           TEXT NOT NULL
);
