-- Parley schema, version 21: how much each user stores, for the
-- per-user quotas of offline storage (offline.max_bytes) and of the
-- message archive (mam.max_bytes).
--
-- A row per user with stored messages; counting on every write would
-- read the user's whole mailbox or archive. Offline storage is kept
-- right by triggers (a low write rate, and every path -- store, delete,
-- import, account deletion -- is covered).
--
-- The archive is written in large batches on the message path, where an
-- update of archive_usage per row (or per owner and batch) cost as much
-- as one of the index insertions 00020 saved. So its inserts are counted
-- in the store's memory and written to archive_usage every few seconds
-- (usage.go): archive_usage_state.through is the greatest archive id
-- counted in archive_usage. Rows above it belong to the running writer's
-- memory, or, after a crash, to nobody: the next process that writes the
-- archive counts them first. Deletions go through a trigger, for the
-- rows archive_usage counts. PostgreSQL: the same triggers as PL/pgSQL
-- functions.
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
CREATE TABLE archive_usage_state (through INTEGER NOT NULL);
INSERT INTO archive_usage_state (through) SELECT COALESCE(MAX(id), 0) FROM archive;

-- +goose StatementBegin
CREATE TRIGGER archive_usage_delete AFTER DELETE ON archive
WHEN OLD.id <= (SELECT through FROM archive_usage_state) BEGIN
    UPDATE archive_usage SET messages = messages - 1, bytes = bytes - length(OLD.stanza) WHERE owner = OLD.owner;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER archive_usage_delete;
DROP TABLE archive_usage_state;
DROP TABLE archive_usage;
DROP TRIGGER offline_usage_delete;
DROP TRIGGER offline_usage_insert;
DROP TABLE offline_usage;
