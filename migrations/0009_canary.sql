-- Canary runs (`apply --canary N`, `destroy --canary N`): the jobs a run started first,
-- one account per OU in turn; the others started only if every canary succeeded. Kept
-- on the job, not as a list on the run, because the job is already the account's part
-- in the run: `runs` reads a run's canary with the counts it reads anyway, and a job
-- row says by itself why it ran early. 1: a canary; 0: every other job, and every job
-- of a run without --canary.
ALTER TABLE jobs ADD COLUMN canary INTEGER NOT NULL DEFAULT 0 CHECK (canary IN (0, 1));
