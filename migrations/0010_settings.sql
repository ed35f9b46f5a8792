-- Settings of the home that must stay the same from run to run, by name. The first is
-- 'state_location': where every account's Terraform state is kept ('local', or
-- 's3://bucket/prefix?region=r', always with its region). It is recorded by the first
-- run and changed only by `fleetform state migrate`, after every account's state was
-- copied there and verified: a run with another --state would otherwise start from an
-- empty state and create every account's objects a second time.
CREATE TABLE settings (
    name        TEXT PRIMARY KEY NOT NULL,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- A home that ran terraform before this migration kept its state locally (the only
-- place there was).
INSERT INTO settings (name, value, updated_at)
SELECT 'state_location', 'local', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
WHERE EXISTS (SELECT 1 FROM jobs WHERE attempts > 0);
