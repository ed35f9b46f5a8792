-- The job queue (`apply --enqueue`, `fleetform worker`): runs whose jobs are run by
-- worker processes, possibly on other machines, instead of by the fleetform that made
-- them. Kept in plain SQL that PostgreSQL mirrors (BLOB is bytea there, the *_ms
-- columns bigint).

-- NULL: a run of the local scheduler, owned by its fleetform process (the runs so far).
-- 'preparing': being enqueued; still owned by the enqueuing process, whose death closes
-- it as before. 'open': its jobs belong to the queue: leases, not the enqueuer's pid,
-- say whether a job's owner is alive, and the last job recorded closes the run.
ALTER TABLE runs ADD COLUMN queue TEXT CHECK (queue IN ('preparing', 'open'));
-- Failed jobs the run accepts before the rest are skipped (`--failure-tolerance`, made a
-- count of the jobs to run at enqueue time); NULL: every job is attempted.
ALTER TABLE runs ADD COLUMN allowed_failures INTEGER;
-- `--max-attempts` of the run, which a worker applies to its jobs.
ALTER TABLE runs ADD COLUMN max_attempts INTEGER;
-- Set by Ctrl-C on the enqueuing command: pending jobs end interrupted at once,
-- running ones are stopped by their workers (SIGINT, then SIGKILL after the grace).
ALTER TABLE runs ADD COLUMN cancel_requested_at TEXT;

-- The worker holding a running job of a queued run: `host:pid`, its lease (UTC
-- milliseconds since 1970; a worker renews it while the job runs) and a counter bumped
-- at each claim, so that a worker whose lease ran out and whose job was claimed again
-- can no longer record anything for it.
ALTER TABLE jobs ADD COLUMN worker TEXT;
ALTER TABLE jobs ADD COLUMN lease_expires_ms INTEGER;
ALTER TABLE jobs ADD COLUMN claims INTEGER NOT NULL DEFAULT 0;
-- The last 64 KiB of the job's terraform log, and the host holding the full file
-- (`log_path`), so that `fleetform logs` shows a job run on another machine.
ALTER TABLE jobs ADD COLUMN log_tail BLOB;
ALTER TABLE jobs ADD COLUMN log_host TEXT;

-- How an attempt ended when no terraform result says it: 'interrupted' when its
-- worker stopped renewing the lease (killed, machine lost) and the job went back to
-- pending. NULL otherwise.
ALTER TABLE job_attempts ADD COLUMN outcome TEXT CHECK (outcome IN ('interrupted'));

CREATE INDEX jobs_by_run_status ON jobs (run_id, status);

-- Every file of every template a queued run's jobs use, as enqueued: a worker renders
-- the same workspace whether or not it has the template directory. `template` is the
-- name the jobs record; `template_hash` the hash of all its files, checked on load.
CREATE TABLE run_template_files (
    run_id         TEXT NOT NULL REFERENCES runs (run_id),
    template       TEXT NOT NULL,
    template_hash  TEXT NOT NULL,
    path           TEXT NOT NULL,
    contents       BLOB NOT NULL,
    PRIMARY KEY (run_id, template, path)
);
