-- Parley schema, version 5: integrating sites and authentication tokens
-- (integration services, seed 001 chapters 2 and 3).

-- +goose Up
-- key_salt/key_hash verify the site's authentication key; the key itself
-- is never stored. settings_json: a JSON object of boolean settings by
-- name (PostgreSQL: JSONB).
CREATE TABLE sites (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    key_salt      BLOB NOT NULL,
    key_hash      BLOB NOT NULL,
    settings_json TEXT NOT NULL DEFAULT '{}',
    created_at    INTEGER NOT NULL -- unix milliseconds, UTC
);

-- A token belongs to a user (user_jid set) or a site (site_id set), named
-- by entity_type/entity_id; the two nullable foreign keys make deleting
-- the user or the site delete its tokens, and parent_id makes deleting a
-- token delete everything derived from it (the store also deletes those
-- rows explicitly, so neither depends on foreign_keys being on).
-- SQLite: AUTOINCREMENT never reuses an id (PostgreSQL: BIGINT GENERATED
-- ALWAYS AS IDENTITY).
CREATE TABLE tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    random      TEXT NOT NULL,
    parent_id   INTEGER REFERENCES tokens(id) ON DELETE CASCADE,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    user_jid    TEXT REFERENCES users(jid) ON DELETE CASCADE,
    site_id     TEXT REFERENCES sites(id) ON DELETE CASCADE,
    policy      TEXT NOT NULL,
    proxy_user  TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL, -- unix milliseconds, UTC
    expires_at  INTEGER NOT NULL  -- unix milliseconds, UTC
);
CREATE INDEX tokens_parent ON tokens (parent_id);
CREATE INDEX tokens_entity ON tokens (entity_type, entity_id);
CREATE INDEX tokens_user ON tokens (user_jid);
CREATE INDEX tokens_site ON tokens (site_id);
CREATE INDEX tokens_expires ON tokens (expires_at);

-- +goose Down
DROP TABLE tokens;
DROP TABLE sites;
