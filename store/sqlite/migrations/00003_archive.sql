-- Parley schema, version 3: message archives (XEP-0313 MAM) and each
-- user's archiving preferences.
--
-- Unlike the other tables, archive.at holds UTC Unix MICROseconds: MAM
-- stamps and queries by time, and messages archived within the same
-- millisecond are common.

-- +goose Up
-- id orders each archive by archival and is the MAM/RSM id, as decimal
-- text. SQLite: AUTOINCREMENT never reuses an id (a pruned message's id
-- must not come back); PostgreSQL: BIGINT GENERATED ALWAYS AS IDENTITY.
CREATE TABLE archive (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    owner    TEXT NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    with_jid TEXT NOT NULL,
    at       INTEGER NOT NULL, -- unix microseconds, UTC
    stanza   BLOB NOT NULL
);
-- Pages of a whole archive, and of a conversation, walk these in id
-- order and stop after one page; COUNT of a conversation reads only the
-- second. Time-bounded queries and the retention prune use the third.
CREATE INDEX archive_owner ON archive (owner, id);
CREATE INDEX archive_owner_with ON archive (owner, with_jid, id);
CREATE INDEX archive_owner_at ON archive (owner, at);

-- always_json, never_json: JSON arrays of bare JIDs, sorted (PostgreSQL:
-- JSONB or TEXT[]).
CREATE TABLE archive_prefs (
    owner        TEXT PRIMARY KEY REFERENCES users(jid) ON DELETE CASCADE,
    default_mode TEXT NOT NULL,
    always_json  TEXT NOT NULL DEFAULT '[]',
    never_json   TEXT NOT NULL DEFAULT '[]'
);

-- +goose Down
DROP TABLE archive_prefs;
DROP TABLE archive;
