-- Parley schema, version 6: users who publish their presence over HTTP.
-- A row means opted in. Mirrors SQLite's 00006.

-- +goose Up
CREATE TABLE presence_sharing (
    owner TEXT COLLATE "C" PRIMARY KEY REFERENCES users(jid) ON DELETE CASCADE,
    since BIGINT NOT NULL -- unix milliseconds, UTC
);

-- +goose Down
DROP TABLE presence_sharing;
