-- The S3 state lock a job's terraform took, as SQLite's 0012_state_lock.sql records it
-- (see there for why).
ALTER TABLE jobs ADD COLUMN state_lock_id TEXT;
ALTER TABLE jobs ADD COLUMN state_lock_who TEXT;
