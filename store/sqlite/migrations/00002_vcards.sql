-- Parley schema, version 2: vCards (XEP-0054 vcard-temp), one per user,
-- kept as the raw serialized <vCard/> element.

-- +goose Up
CREATE TABLE vcards (
    owner TEXT PRIMARY KEY REFERENCES users(jid) ON DELETE CASCADE,
    vcard BLOB NOT NULL
);

-- +goose Down
DROP TABLE vcards;
