-- Parley schema, version 6: users who publish their presence over HTTP
-- (presence URL of seed 001, presence endpoint of seed 004). A row means
-- opted in; no row means private.

-- +goose Up
CREATE TABLE presence_sharing (
    owner TEXT PRIMARY KEY REFERENCES users(jid) ON DELETE CASCADE,
    since INTEGER NOT NULL -- unix milliseconds, UTC
);

-- +goose Down
DROP TABLE presence_sharing;
