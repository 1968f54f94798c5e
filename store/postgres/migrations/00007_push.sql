-- Parley schema, version 7: XEP-0357 push registrations. Mirrors
-- SQLite's 00007.

-- +goose Up
CREATE TABLE push_registrations (
    owner    TEXT COLLATE "C" NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    service  TEXT COLLATE "C" NOT NULL,
    node     TEXT COLLATE "C" NOT NULL,
    resource TEXT COLLATE "C" NOT NULL,
    options  BYTEA NOT NULL,
    PRIMARY KEY (owner, service, node)
);

-- +goose Down
DROP TABLE push_registrations;
