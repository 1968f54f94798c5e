-- Parley schema, version 80: the servers sharing the store. The domains
-- each serves (node '' is a single server), so that the commands working
-- on the store accept them without a data directory, and each cluster
-- node's slot in archive IDs (1..1023: the low 10 bits of its IDs).
-- Mirrors SQLite's 00080.

-- +goose Up
CREATE TABLE served_domains (
    node   TEXT COLLATE "C" NOT NULL,
    domain TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (node, domain)
);

CREATE TABLE node_slots (
    node TEXT COLLATE "C" PRIMARY KEY,
    slot INTEGER NOT NULL UNIQUE CHECK (slot BETWEEN 1 AND 1023)
);

-- +goose Down
DROP TABLE node_slots;
DROP TABLE served_domains;
