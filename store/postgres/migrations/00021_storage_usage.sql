-- Parley schema, version 21, for PostgreSQL: how much each user stores,
-- for the offline and archive quotas (store/sqlite/migrations/
-- 00021_storage_usage.sql).
--
-- Several nodes may write one PostgreSQL database, so archive usage is
-- kept exact at every write here: an archive batch adds its rows to
-- archive_usage in the same statement (one row per owner and batch),
-- deletions go through a trigger. archive_usage_state mirrors SQLite's
-- table, which counts what SQLite's writer keeps in memory; PostgreSQL
-- does not use it. Offline storage is kept by triggers, as on SQLite.

-- +goose Up
CREATE TABLE offline_usage (
    owner    TEXT COLLATE "C" PRIMARY KEY REFERENCES users(jid) ON DELETE CASCADE,
    messages BIGINT NOT NULL,
    bytes    BIGINT NOT NULL
);
INSERT INTO offline_usage (owner, messages, bytes)
    SELECT owner, count(*), sum(octet_length(stanza)) FROM offline_messages GROUP BY owner;

-- +goose StatementBegin
CREATE FUNCTION offline_usage_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO offline_usage (owner, messages, bytes) VALUES (NEW.owner, 1, octet_length(NEW.stanza))
    ON CONFLICT (owner) DO UPDATE SET messages = offline_usage.messages + 1,
        bytes = offline_usage.bytes + octet_length(NEW.stanza);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER offline_usage_insert AFTER INSERT ON offline_messages
    FOR EACH ROW EXECUTE FUNCTION offline_usage_insert();

-- +goose StatementBegin
CREATE FUNCTION offline_usage_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE offline_usage SET messages = messages - 1, bytes = bytes - octet_length(OLD.stanza) WHERE owner = OLD.owner;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER offline_usage_delete AFTER DELETE ON offline_messages
    FOR EACH ROW EXECUTE FUNCTION offline_usage_delete();

CREATE TABLE archive_usage (
    owner    TEXT COLLATE "C" PRIMARY KEY REFERENCES users(jid) ON DELETE CASCADE,
    messages BIGINT NOT NULL,
    bytes    BIGINT NOT NULL
);
INSERT INTO archive_usage (owner, messages, bytes)
    SELECT owner, count(*), sum(octet_length(stanza)) FROM archive GROUP BY owner;
CREATE TABLE archive_usage_state (through BIGINT NOT NULL);

-- +goose StatementBegin
CREATE FUNCTION archive_usage_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE archive_usage SET messages = messages - 1, bytes = bytes - octet_length(OLD.stanza) WHERE owner = OLD.owner;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER archive_usage_delete AFTER DELETE ON archive
    FOR EACH ROW EXECUTE FUNCTION archive_usage_delete();

-- +goose Down
DROP TRIGGER archive_usage_delete ON archive;
DROP FUNCTION archive_usage_delete();
DROP TABLE archive_usage_state;
DROP TABLE archive_usage;
DROP TRIGGER offline_usage_delete ON offline_messages;
DROP FUNCTION offline_usage_delete();
DROP TRIGGER offline_usage_insert ON offline_messages;
DROP FUNCTION offline_usage_insert();
DROP TABLE offline_usage;
