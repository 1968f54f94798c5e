-- Parley schema: network presence (seed 000), issue 18. One row per user
-- whose presence on the web surfaces is that of an account on another
-- server (remote, a bare JID); no row means their own presence.

-- +goose Up
CREATE TABLE network_presence (
    owner  TEXT PRIMARY KEY REFERENCES users(jid) ON DELETE CASCADE,
    remote TEXT NOT NULL,
    since  INTEGER NOT NULL -- unix milliseconds, UTC
);

-- +goose Down
DROP TABLE network_presence;
