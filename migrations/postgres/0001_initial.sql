-- The PostgreSQL schema of team mode, equal to what SQLite's migrations 0001 to 0010
-- build (see ../0001_accounts.sql onwards for why each table and column exists). The
-- differences are PostgreSQL's own: BOOLEAN for the 0/1 flags, identity columns for
-- the ids SQLite numbers itself, and runs.run_seq for the insertion order that SQLite
-- reads from rowid. Timestamps stay UTC ISO 8601 text, as on SQLite, so every command
-- prints the same text from either store.
--
-- The store runs these files one statement at a time (postgres-nio speaks only the
-- extended protocol, one statement per message): every statement ends with a
-- semicolon at the end of a line, and no other line does.

CREATE TABLE accounts (
    account_id            TEXT PRIMARY KEY NOT NULL CHECK (account_id ~ '^[0-9]{12}$'),
    name                  TEXT NOT NULL,
    email                 TEXT,
    ou_path               TEXT NOT NULL,
    region                TEXT NOT NULL,
    role_name             TEXT NOT NULL,
    access_role_name      TEXT NOT NULL,
    management_account_id TEXT,
    tags                  TEXT NOT NULL DEFAULT '{}',
    account_tags          TEXT NOT NULL DEFAULT '{}',
    enabled               BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_reason       TEXT CHECK (disabled_reason IN ('user', 'suspended', 'management', 'removed')),
    state                 TEXT,
    source                TEXT NOT NULL CHECK (source IN ('file', 'organizations')),
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);

CREATE INDEX accounts_by_ou_path ON accounts (ou_path, name);

CREATE TABLE inventory_changes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      TEXT NOT NULL CHECK (source IN ('file', 'organizations')),
    origin      TEXT NOT NULL,
    added       INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL,
    disabled    INTEGER NOT NULL,
    changed_at  TEXT NOT NULL
);

CREATE TABLE runs (
    run_id        TEXT PRIMARY KEY NOT NULL,
    run_seq       BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    command       TEXT NOT NULL CHECK (command IN ('apply', 'plan', 'retry', 'destroy')),
    template      TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    host          TEXT,
    pid_started   BIGINT,
    parallel      INTEGER NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    outcome       TEXT CHECK (outcome IN ('succeeded', 'failed', 'interrupted'))
);

CREATE TABLE jobs (
    job_id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id               TEXT NOT NULL REFERENCES runs (run_id),
    account_id           TEXT NOT NULL REFERENCES accounts (account_id),
    operation            TEXT NOT NULL CHECK (operation IN ('apply', 'plan', 'destroy')),
    template             TEXT NOT NULL,
    status               TEXT NOT NULL
                         CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'interrupted', 'skipped')),
    skip_reason          TEXT,
    canary               BOOLEAN NOT NULL DEFAULT FALSE,
    attempts             INTEGER NOT NULL DEFAULT 0,
    config_hash          TEXT,
    terraform_pid        INTEGER,
    terraform_started    BIGINT,
    terraform_host       TEXT,
    role_arn             TEXT,
    policy_arn           TEXT,
    instance_profile_arn TEXT,
    plan_add             INTEGER,
    plan_change          INTEGER,
    plan_destroy         INTEGER,
    plan_import          INTEGER,
    adopted              TEXT,
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
    job_id       BIGINT NOT NULL REFERENCES jobs (job_id),
    attempt      INTEGER NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    termination  TEXT,
    transient    BOOLEAN NOT NULL DEFAULT FALSE,
    error        TEXT,
    PRIMARY KEY (job_id, attempt)
);

CREATE TABLE account_state (
    account_id           TEXT PRIMARY KEY NOT NULL REFERENCES accounts (account_id),
    status               TEXT NOT NULL,
    role_arn             TEXT,
    policy_arn           TEXT,
    instance_profile_arn TEXT,
    applied_config_hash  TEXT,
    last_run_id          TEXT,
    last_job_id          BIGINT,
    attempts             INTEGER NOT NULL DEFAULT 0,
    error                TEXT,
    adopted              TEXT,
    updated_at           TEXT NOT NULL
);

CREATE TABLE akeyless_state (
    account_id   TEXT PRIMARY KEY NOT NULL REFERENCES accounts (account_id),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'synced', 'failed', 'drifted')),
    api_url      TEXT NOT NULL,
    target       TEXT NOT NULL,
    auth_method  TEXT NOT NULL,
    layout       TEXT NOT NULL CHECK (layout IN ('shared', 'per_account')),
    access_id    TEXT,
    synced_at    TEXT,
    error        TEXT,
    updated_at   TEXT NOT NULL
);

CREATE TABLE settings (
    name        TEXT PRIMARY KEY NOT NULL,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
