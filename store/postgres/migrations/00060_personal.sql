-- Parley schema, version 60: personal eventing nodes and items
-- (XEP-0163), block lists (XEP-0191), private XML (XEP-0049) and uploaded
-- files (XEP-0363). Mirrors SQLite's 00060.

-- +goose Up
CREATE TABLE pep_nodes (
    owner  TEXT COLLATE "C" NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    node   TEXT COLLATE "C" NOT NULL,
    config BYTEA NOT NULL,
    PRIMARY KEY (owner, node)
);

CREATE TABLE pep_items (
    owner        TEXT COLLATE "C" NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    node         TEXT COLLATE "C" NOT NULL,
    item_id      TEXT COLLATE "C" NOT NULL,
    seq          BIGINT NOT NULL,
    publisher    TEXT COLLATE "C" NOT NULL,
    payload      BYTEA NOT NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (owner, node, item_id),
    FOREIGN KEY (owner, node) REFERENCES pep_nodes(owner, node) ON DELETE CASCADE
);
CREATE INDEX pep_items_seq ON pep_items (owner, node, seq);

CREATE TABLE blocklist (
    owner TEXT COLLATE "C" NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    jid   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (owner, jid)
);

CREATE TABLE private_xml (
    owner     TEXT COLLATE "C" NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    namespace TEXT COLLATE "C" NOT NULL,
    data      BYTEA NOT NULL,
    PRIMARY KEY (owner, namespace)
);

CREATE TABLE uploads (
    id           TEXT COLLATE "C" PRIMARY KEY,
    owner        TEXT COLLATE "C" NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    filename     TEXT COLLATE "C" NOT NULL,
    size         BIGINT NOT NULL,
    content_type TEXT COLLATE "C" NOT NULL,
    state        TEXT COLLATE "C" NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX uploads_owner ON uploads (owner, created_at);
CREATE INDEX uploads_expiry ON uploads (expires_at) WHERE expires_at > 0;

-- +goose Down
DROP TABLE uploads;
DROP TABLE private_xml;
DROP TABLE blocklist;
DROP TABLE pep_items;
DROP TABLE pep_nodes;
