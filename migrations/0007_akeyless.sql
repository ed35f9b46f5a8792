-- What `akeyless sync` made in Akeyless for each account: its AWS target and the AWS IAM
-- auth method it is bound to, with the access id a gateway in the account logs in with.
-- One row per account that a sync wanted (apply --akeyless records 'pending' for the
-- accounts whose role is not there yet); no row: never synced. A destroy that removes
-- the account from Akeyless deletes its row.
--
-- status: 'pending' (waiting for its role), 'synced', 'failed' (the last sync failed;
-- what an earlier sync made may still be there), 'drifted' (verify --akeyless found the
-- target or the binding missing or different). The names and the API URL are what the
-- last sync used, so that retry, verify and destroy go back to the same items.
CREATE TABLE akeyless_state (
    account_id   TEXT PRIMARY KEY NOT NULL REFERENCES accounts (account_id),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'synced', 'failed', 'drifted')),
    api_url      TEXT NOT NULL,
    target       TEXT NOT NULL,
    auth_method  TEXT NOT NULL,
    -- 'shared': one auth method bound to many accounts; 'per_account': its own.
    layout       TEXT NOT NULL CHECK (layout IN ('shared', 'per_account')),
    access_id    TEXT,
    synced_at    TEXT,
    error        TEXT,
    updated_at   TEXT NOT NULL
);
