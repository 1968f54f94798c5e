-- Parley schema, version 60: what an account keeps besides its roster
-- and messages: personal eventing nodes and items (XEP-0163), block
-- lists (XEP-0191), private XML (XEP-0049) and uploaded files (XEP-0363).

-- +goose Up
-- config: the node configuration as im/pep encodes it (opaque here).
CREATE TABLE pep_nodes (
    owner  TEXT NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    node   TEXT NOT NULL,
    config BLOB NOT NULL,
    PRIMARY KEY (owner, node)
);

-- seq orders a node's items by publication (a republished item gets a
-- new one); published_at is unix milliseconds, UTC.
CREATE TABLE pep_items (
    owner        TEXT NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    node         TEXT NOT NULL,
    item_id      TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    publisher    TEXT NOT NULL,
    payload      BLOB NOT NULL,
    published_at INTEGER NOT NULL,
    PRIMARY KEY (owner, node, item_id),
    FOREIGN KEY (owner, node) REFERENCES pep_nodes(owner, node) ON DELETE CASCADE
);
CREATE INDEX pep_items_seq ON pep_items (owner, node, seq);

CREATE TABLE blocklist (
    owner TEXT NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    jid   TEXT NOT NULL,
    PRIMARY KEY (owner, jid)
);

CREATE TABLE private_xml (
    owner     TEXT NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    namespace TEXT NOT NULL,
    data      BLOB NOT NULL,
    PRIMARY KEY (owner, namespace)
);

-- expires_at: unix milliseconds, UTC; 0 for never.
CREATE TABLE uploads (
    id           TEXT PRIMARY KEY,
    owner        TEXT NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    filename     TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    state        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX uploads_owner ON uploads (owner, created_at);
CREATE INDEX uploads_expiry ON uploads (expires_at) WHERE expires_at > 0;

-- +goose Down
DROP TABLE uploads;
DROP TABLE private_xml;
DROP TABLE blocklist;
DROP TABLE pep_items;
DROP TABLE pep_nodes;
