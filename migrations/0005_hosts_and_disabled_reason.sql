-- The machine each recorded pid belongs to: a home shared between machines (which it
-- must not be) would otherwise have a run or a terraform of one machine checked against
-- an unrelated local process of another. NULL in rows written before: this machine.
ALTER TABLE runs ADD COLUMN host TEXT;
-- When the run's fleetform started (clock ticks since boot), so a reused pid is not
-- taken for it.
ALTER TABLE runs ADD COLUMN pid_started INTEGER;
ALTER TABLE jobs ADD COLUMN terraform_host TEXT;

-- Why an account is disabled: 'user' (an inventory file said enabled: false),
-- 'suspended' (Organizations says it is not ACTIVE), 'management' (the management
-- account, excluded unless asked for), 'removed' (it left the organization or the
-- inventory file). Discovery may disable or re-enable what it disabled itself, but never
-- enables an account a user disabled. NULL while enabled.
ALTER TABLE accounts ADD COLUMN disabled_reason TEXT
    CHECK (disabled_reason IN ('user', 'suspended', 'management', 'removed'));

UPDATE accounts SET disabled_reason = CASE
    WHEN enabled = 1 THEN NULL
    WHEN state IS NOT NULL AND state != 'ACTIVE' THEN 'suspended'
    WHEN source = 'organizations' AND account_id = management_account_id THEN 'management'
    WHEN source = 'file' THEN 'user'
    ELSE 'removed'
END;
