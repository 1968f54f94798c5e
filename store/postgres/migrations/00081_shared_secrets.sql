-- Parley schema, version 81: secrets the nodes of a cluster share (the
-- dialback key secret, the SASL secret for unknown users' salts, the
-- upload URL key, the web pages' cookie key): each is made once, by the
-- first node that asks for it, and read by every other.
-- Mirrors SQLite's 00081.

-- +goose Up
CREATE TABLE shared_secrets (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

-- +goose Down
DROP TABLE shared_secrets;
