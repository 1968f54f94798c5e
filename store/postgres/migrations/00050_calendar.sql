-- Parley schema, version 50: the calendar agent (seed 002). Users'
-- settings, the alarms the agent waits for (they survive restarts), and
-- the reminders it delivered (each once). Mirrors SQLite's 00050.

-- +goose Up
CREATE TABLE calendar_prefs (
    owner     TEXT COLLATE "C" PRIMARY KEY REFERENCES users(jid) ON DELETE CASCADE,
    reminders TEXT COLLATE "C" NOT NULL, -- 'on', 'off' or '' (the default)
    timezone  TEXT COLLATE "C" NOT NULL
);

-- One row per item: its next alarm. lease_until (unix ms) is the end of
-- a node's claim on it; version changes at every put.
CREATE TABLE calendar_alarms (
    owner         TEXT COLLATE "C" NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    uid           TEXT COLLATE "C" NOT NULL,
    recurrence_id TEXT COLLATE "C" NOT NULL,
    source        TEXT COLLATE "C" NOT NULL,
    due           BIGINT NOT NULL,
    data          BYTEA NOT NULL,
    version       BIGINT NOT NULL,
    lease_until   BIGINT NOT NULL,
    PRIMARY KEY (owner, uid, recurrence_id)
);
CREATE INDEX calendar_alarms_due ON calendar_alarms (due);

-- Reminders delivered: (owner, uid, recurrence_id, trigger) at most once.
CREATE TABLE calendar_delivered (
    owner         TEXT COLLATE "C" NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    uid           TEXT COLLATE "C" NOT NULL,
    recurrence_id TEXT COLLATE "C" NOT NULL,
    trigger_at    BIGINT NOT NULL,
    delivered_at  BIGINT NOT NULL,
    PRIMARY KEY (owner, uid, recurrence_id, trigger_at)
);
CREATE INDEX calendar_delivered_at ON calendar_delivered (delivered_at);

-- +goose Down
DROP TABLE calendar_delivered;
DROP TABLE calendar_alarms;
DROP TABLE calendar_prefs;
