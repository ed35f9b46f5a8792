-- The S3 state lock a job's terraform took (`<state key>.tflock`, `use_lockfile`), as
-- the worker holding the job read it shortly after terraform started: its `ID` and
-- `Who` (`user@host`), nothing else. When the job's lease runs out and another worker
-- claims it, that worker releases a lock still in S3 with exactly this id
-- (`terraform force-unlock`) and never one with another id. NULL: none seen.
ALTER TABLE jobs ADD COLUMN state_lock_id TEXT;
ALTER TABLE jobs ADD COLUMN state_lock_who TEXT;
