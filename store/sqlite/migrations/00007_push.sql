-- Parley schema, version 7: XEP-0357 push registrations.

-- +goose Up
-- One row per (owner, app server, node); options holds the client's
-- publish-options form as XML (empty: none).
CREATE TABLE push_registrations (
    owner    TEXT NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    service  TEXT NOT NULL,
    node     TEXT NOT NULL,
    resource TEXT NOT NULL,
    options  BLOB NOT NULL,
    PRIMARY KEY (owner, service, node)
);

-- +goose Down
DROP TABLE push_registrations;
