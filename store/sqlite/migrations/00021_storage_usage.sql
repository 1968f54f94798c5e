-- Parley schema, version 21: how much each user stores, for the
-- per-user quotas of offline storage (offline.max_bytes) and of the
-- message archive (mam.max_bytes).
--
-- A row per user with stored messages; counting on every write would
-- read the user's whole mailbox or archive. Offline storage is kept
-- right by triggers (a low write rate, and every path -- store, delete,
-- import, account deletion -- is covered). The archive is written in
-- batches on the message path: its inserts add to archive_usage in the
-- store code, once per owner and batch (a trigger would do it once per
-- row); deletions (retention, account deletion, import) go through a
-- trigger. PostgreSQL: the same triggers as PL/pgSQL functions.

-- +goose Up
CREATE TABLE offline_usage (
    owner    TEXT PRIMARY KEY REFERENCES users(jid) ON DELETE CASCADE,
    messages INTEGER NOT NULL,
    bytes    INTEGER NOT NULL
);
INSERT INTO offline_usage (owner, messages, bytes)
    SELECT owner, COUNT(*), SUM(length(stanza)) FROM offline_messages GROUP BY owner;

-- +goose StatementBegin
CREATE TRIGGER offline_usage_insert AFTER INSERT ON offline_messages BEGIN
    INSERT INTO offline_usage (owner, messages, bytes) VALUES (NEW.owner, 1, length(NEW.stanza))
    ON CONFLICT (owner) DO UPDATE SET messages = messages + 1, bytes = bytes + length(NEW.stanza);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER offline_usage_delete AFTER DELETE ON offline_messages BEGIN
    UPDATE offline_usage SET messages = messages - 1, bytes = bytes - length(OLD.stanza) WHERE owner = OLD.owner;
END;
-- +goose StatementEnd

CREATE TABLE archive_usage (
    owner    TEXT PRIMARY KEY REFERENCES users(jid) ON DELETE CASCADE,
    messages INTEGER NOT NULL,
    bytes    INTEGER NOT NULL
);
INSERT INTO archive_usage (owner, messages, bytes)
    SELECT owner, COUNT(*), SUM(length(stanza)) FROM archive GROUP BY owner;

-- +goose StatementBegin
CREATE TRIGGER archive_usage_delete AFTER DELETE ON archive BEGIN
    UPDATE archive_usage SET messages = messages - 1, bytes = bytes - length(OLD.stanza) WHERE owner = OLD.owner;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER archive_usage_delete;
DROP TABLE archive_usage;
DROP TRIGGER offline_usage_delete;
DROP TRIGGER offline_usage_insert;
DROP TABLE offline_usage;
