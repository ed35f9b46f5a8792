-- One row per import or discovery that was written: where the accounts came from and
-- what changed, so "who changed the inventory, when" has an answer.
CREATE TABLE inventory_changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT NOT NULL CHECK (source IN ('file', 'organizations')),
    origin      TEXT NOT NULL,
    added       INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL,
    disabled    INTEGER NOT NULL,
    changed_at  TEXT NOT NULL
);
