-- Parley schema, version 20: archives in time order, with two indexes
-- instead of three.
--
-- An archive (a user's or a room's) is now ordered by (at, id): time,
-- then id for messages of the same microsecond. That is the order
-- XEP-0313 asks for, and for the messages the archive writer stores it
-- is the id order (their time is their id's). Ordering by time lets
-- (owner, at) -- whose entries carry the rowid, i.e. (owner, at, id) --
-- serve whole-archive pages, time-bounded pages and their counts, and
-- the retention prune, so (owner, id) goes: every archived message now
-- costs two index insertions instead of three, which is most of what an
-- archive write costs (docs/performance.md). Conversations page through
-- (owner, with_jid, at), which likewise carries the id.

-- +goose Up
DROP INDEX archive_owner;
DROP INDEX archive_owner_with;
CREATE INDEX archive_owner_with ON archive (owner, with_jid, at);

DROP INDEX room_archive_owner;
DROP INDEX room_archive_owner_with;
CREATE INDEX room_archive_owner_with ON room_archive (owner, with_jid, at);

-- +goose Down
DROP INDEX room_archive_owner_with;
CREATE INDEX room_archive_owner ON room_archive (owner, id);
CREATE INDEX room_archive_owner_with ON room_archive (owner, with_jid, id);

DROP INDEX archive_owner_with;
CREATE INDEX archive_owner ON archive (owner, id);
CREATE INDEX archive_owner_with ON archive (owner, with_jid, id);
