-- What `--adopt` took over. jobs.adopted: the IAM objects a job imported (a plan: would
-- import), comma-separated kinds ('role,policy,attachment,instance_profile'), NULL for
-- none. account_state.adopted: every object adopted in the account since it was last
-- destroyed, for `status --json`. plan_import: a plan's import count, beside plan_add.
ALTER TABLE jobs ADD COLUMN adopted TEXT;
ALTER TABLE jobs ADD COLUMN plan_import INTEGER;
ALTER TABLE account_state ADD COLUMN adopted TEXT;
