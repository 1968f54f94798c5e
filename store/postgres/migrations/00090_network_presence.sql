-- Parley schema: network presence (seed 000), issue 18. One row per user
-- whose presence on the web surfaces is that of an account on another
-- server (remote, a bare JID). Mirrors SQLite's 00090.

-- +goose Up
CREATE TABLE network_presence (
    owner  TEXT COLLATE "C" PRIMARY KEY REFERENCES users(jid) ON DELETE CASCADE,
    remote TEXT COLLATE "C" NOT NULL,
    since  BIGINT NOT NULL -- unix milliseconds, UTC
);

-- +goose Down
DROP TABLE network_presence;
