-- Parley schema, version 50: the calendar agent (seed 002). Users'
-- settings, the alarms the agent waits for (they survive restarts), and
-- the reminders it delivered (each once).

-- +goose Up
-- No row: never chosen. reminders is 'on', 'off' or '' (default).
CREATE TABLE calendar_prefs (
    owner     TEXT PRIMARY KEY REFERENCES users(jid) ON DELETE CASCADE,
    reminders TEXT NOT NULL,
    timezone  TEXT NOT NULL
);

-- One row per item: its next alarm. lease_until (unix ms) is the end of
-- a node's claim on it; version changes at every put.
CREATE TABLE calendar_alarms (
    owner         TEXT NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    uid           TEXT NOT NULL,
    recurrence_id TEXT NOT NULL,
    source        TEXT NOT NULL,
    due           INTEGER NOT NULL,
    data          BLOB NOT NULL,
    version       INTEGER NOT NULL,
    lease_until   INTEGER NOT NULL,
    PRIMARY KEY (owner, uid, recurrence_id)
);
CREATE INDEX calendar_alarms_due ON calendar_alarms (due);

-- Reminders delivered: (owner, uid, recurrence_id, trigger) at most once.
CREATE TABLE calendar_delivered (
    owner         TEXT NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    uid           TEXT NOT NULL,
    recurrence_id TEXT NOT NULL,
    trigger_at    INTEGER NOT NULL,
    delivered_at  INTEGER NOT NULL,
    PRIMARY KEY (owner, uid, recurrence_id, trigger_at)
);
CREATE INDEX calendar_delivered_at ON calendar_delivered (delivered_at);

-- +goose Down
DROP TABLE calendar_delivered;
DROP TABLE calendar_alarms;
DROP TABLE calendar_prefs;
