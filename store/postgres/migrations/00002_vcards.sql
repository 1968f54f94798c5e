-- Parley schema, version 2: vCards (XEP-0054 vcard-temp), one per user,
-- kept as the raw serialized <vCard/> element. Mirrors SQLite's 00002.

-- +goose Up
CREATE TABLE vcards (
    owner TEXT COLLATE "C" PRIMARY KEY REFERENCES users(jid) ON DELETE CASCADE,
    vcard BYTEA NOT NULL
);

-- +goose Down
DROP TABLE vcards;
