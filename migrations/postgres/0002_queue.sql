-- The job queue (`apply --enqueue`, `fleetform worker`), as SQLite's 0011_queue.sql
-- builds it (see there for why each column exists). PostgreSQL's differences: bytea
-- for the log tail and the template files, bigint for the *_ms columns and the claim
-- counter, and lease times read from the server's clock (see PostgresInventoryStore+Queue).

ALTER TABLE runs ADD COLUMN queue TEXT CHECK (queue IN ('preparing', 'open'));
ALTER TABLE runs ADD COLUMN allowed_failures INTEGER;
ALTER TABLE runs ADD COLUMN max_attempts INTEGER;
ALTER TABLE runs ADD COLUMN cancel_requested_at TEXT;

ALTER TABLE jobs ADD COLUMN worker TEXT;
ALTER TABLE jobs ADD COLUMN lease_expires_ms BIGINT;
ALTER TABLE jobs ADD COLUMN claims BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN log_tail BYTEA;
ALTER TABLE jobs ADD COLUMN log_host TEXT;

ALTER TABLE job_attempts ADD COLUMN outcome TEXT CHECK (outcome IN ('interrupted'));

CREATE INDEX jobs_by_run_status ON jobs (run_id, status);

CREATE TABLE run_template_files (
    run_id         TEXT NOT NULL REFERENCES runs (run_id),
    template       TEXT NOT NULL,
    template_hash  TEXT NOT NULL,
    path           TEXT NOT NULL,
    contents       BYTEA NOT NULL,
    PRIMARY KEY (run_id, template, path)
);
