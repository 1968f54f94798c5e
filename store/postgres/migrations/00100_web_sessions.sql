-- Parley schema, version 100: sign-ins on Parley's own web pages.
-- Mirrors SQLite's 00100.

-- +goose Up
CREATE TABLE web_sessions (
    id        TEXT COLLATE "C" PRIMARY KEY,
    owner     TEXT COLLATE "C" NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    created   BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    expires   BIGINT NOT NULL,
    addr      TEXT NOT NULL,
    agent     TEXT NOT NULL
);
CREATE INDEX web_sessions_owner ON web_sessions (owner, created);
CREATE INDEX web_sessions_expires ON web_sessions (expires);

-- +goose Down
DROP TABLE web_sessions;
