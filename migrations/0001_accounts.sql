-- The member accounts of the organization, one row per 12-digit account ID.
-- Rows are updated in place and never deleted by fleetform, so run history that
-- refers to an account is never orphaned; removed accounts become enabled = 0.
CREATE TABLE accounts (
    account_id            TEXT PRIMARY KEY NOT NULL
                          CHECK (length(account_id) = 12 AND account_id NOT GLOB '*[^0-9]*'),
    name                  TEXT NOT NULL,
    email                 TEXT,
    ou_path               TEXT NOT NULL,
    region                TEXT NOT NULL,
    role_name             TEXT NOT NULL,
    access_role_name      TEXT NOT NULL,
    management_account_id TEXT,
    -- JSON object of tag key to value, keys sorted, so equal tags compare equal as text.
    tags                  TEXT NOT NULL DEFAULT '{}',
    enabled               INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    -- The account's state in AWS Organizations (ACTIVE, SUSPENDED, ...), NULL when unknown.
    state                 TEXT,
    source                TEXT NOT NULL CHECK (source IN ('file', 'organizations')),
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);

CREATE INDEX accounts_by_ou_path ON accounts (ou_path, name);
