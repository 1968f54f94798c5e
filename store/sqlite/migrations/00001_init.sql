-- Parley schema, version 1.
--
-- Written to port to PostgreSQL with few changes; the SQLite-specific
-- parts are marked "SQLite:". Conventions: JIDs are normalized bare JIDs
-- in TEXT; times are INTEGER UTC Unix milliseconds; booleans are INTEGER
-- 0/1 (PostgreSQL: BOOLEAN); binary data is BLOB (PostgreSQL: BYTEA).
-- Every table a user owns has an "owner" column referencing users(jid)
-- ON DELETE CASCADE; DeleteUser also deletes those rows explicitly.

-- +goose Up
-- Accounts: SCRAM salted keys only, never the password.
CREATE TABLE users (
    jid            TEXT PRIMARY KEY,
    sha1_salt      BLOB NOT NULL,
    sha1_iter      INTEGER NOT NULL,
    sha1_stored    BLOB NOT NULL,
    sha1_server    BLOB NOT NULL,
    sha256_salt    BLOB NOT NULL,
    sha256_iter    INTEGER NOT NULL,
    sha256_stored  BLOB NOT NULL,
    sha256_server  BLOB NOT NULL,
    created_at     INTEGER NOT NULL -- unix milliseconds, UTC
);

-- groups_json: a JSON array of group names (PostgreSQL: JSONB or TEXT[]).
CREATE TABLE roster_items (
    owner        TEXT NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    contact      TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    subscription TEXT NOT NULL DEFAULT 'none',
    ask_out      INTEGER NOT NULL DEFAULT 0,
    pending_in   INTEGER NOT NULL DEFAULT 0,
    approved     INTEGER NOT NULL DEFAULT 0,
    groups_json  TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (owner, contact)
);

-- Roster version per owner (XEP-0237), incremented by every change.
CREATE TABLE roster_versions (
    owner   TEXT PRIMARY KEY REFERENCES users(jid) ON DELETE CASCADE,
    version INTEGER NOT NULL
);

-- SQLite: INTEGER PRIMARY KEY AUTOINCREMENT never reuses an id (a plain
-- INTEGER PRIMARY KEY may); PostgreSQL: BIGINT GENERATED ALWAYS AS IDENTITY.
CREATE TABLE offline_messages (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    owner     TEXT NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    stanza    BLOB NOT NULL,
    stored_at INTEGER NOT NULL
);
CREATE INDEX offline_messages_owner ON offline_messages (owner, id);

CREATE TABLE subscription_requests (
    owner      TEXT NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    from_jid   TEXT NOT NULL,
    stanza     BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (owner, from_jid)
);

CREATE TABLE last_presence (
    owner  TEXT PRIMARY KEY REFERENCES users(jid) ON DELETE CASCADE,
    stanza BLOB NOT NULL,
    at     INTEGER NOT NULL
);

-- +goose Down
DROP TABLE last_presence;
DROP TABLE subscription_requests;
DROP TABLE offline_messages;
DROP TABLE roster_versions;
DROP TABLE roster_items;
DROP TABLE users;
