-- Parley schema, version 100: sign-ins on Parley's own web pages
-- (self-service, admin console). id is the hex SHA-256 of the secret the
-- browser's cookie holds; times are unix milliseconds, UTC.

-- +goose Up
CREATE TABLE web_sessions (
    id        TEXT PRIMARY KEY,
    owner     TEXT NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    created   INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    expires   INTEGER NOT NULL,
    addr      TEXT NOT NULL,
    agent     TEXT NOT NULL
);
CREATE INDEX web_sessions_owner ON web_sessions (owner, created);
CREATE INDEX web_sessions_expires ON web_sessions (expires);

-- +goose Down
DROP TABLE web_sessions;
