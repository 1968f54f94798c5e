-- Parley schema, version 20, for PostgreSQL: archives in time order
-- (store/sqlite/migrations/00020_archive_time_order.sql says why).
--
-- A PostgreSQL index does not end with the row's id as SQLite's do, so
-- the id is spelled out: (owner, at, id) serves whole-archive and
-- time-bounded pages in archive order, (owner, with_jid, at, id)
-- conversations.

-- +goose Up
DROP INDEX archive_owner;
DROP INDEX archive_owner_with;
DROP INDEX archive_owner_at;
CREATE INDEX archive_owner_at ON archive (owner, at, id);
CREATE INDEX archive_owner_with ON archive (owner, with_jid, at, id);

DROP INDEX room_archive_owner;
DROP INDEX room_archive_owner_with;
DROP INDEX room_archive_owner_at;
CREATE INDEX room_archive_owner_at ON room_archive (owner, at, id);
CREATE INDEX room_archive_owner_with ON room_archive (owner, with_jid, at, id);

-- +goose Down
DROP INDEX room_archive_owner_with;
DROP INDEX room_archive_owner_at;
CREATE INDEX room_archive_owner ON room_archive (owner, id);
CREATE INDEX room_archive_owner_with ON room_archive (owner, with_jid, id);
CREATE INDEX room_archive_owner_at ON room_archive (owner, at);

DROP INDEX archive_owner_with;
DROP INDEX archive_owner_at;
CREATE INDEX archive_owner ON archive (owner, id);
CREATE INDEX archive_owner_with ON archive (owner, with_jid, id);
CREATE INDEX archive_owner_at ON archive (owner, at);
