-- Parley schema, version 4: persistent multi-user chat rooms (XEP-0045)
-- and their message archives.

-- +goose Up
-- state: configuration, affiliations and subject, encoded by package muc
-- (opaque here). domain: the MUC service's domain, for listing.
CREATE TABLE rooms (
    jid        TEXT PRIMARY KEY,
    domain     TEXT NOT NULL,
    state      BLOB NOT NULL,
    created_at INTEGER NOT NULL -- unix milliseconds, UTC
);
CREATE INDEX rooms_domain ON rooms (domain, jid);

-- The same shape as archive (00003), owned by a room instead of a user:
-- owner is the room's bare JID, with_jid the sender's occupant JID.
CREATE TABLE room_archive (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    owner    TEXT NOT NULL REFERENCES rooms(jid) ON DELETE CASCADE,
    with_jid TEXT NOT NULL,
    at       INTEGER NOT NULL, -- unix microseconds, UTC
    stanza   BLOB NOT NULL
);
CREATE INDEX room_archive_owner ON room_archive (owner, id);
CREATE INDEX room_archive_owner_with ON room_archive (owner, with_jid, id);
CREATE INDEX room_archive_owner_at ON room_archive (owner, at);

-- +goose Down
DROP TABLE room_archive;
DROP TABLE rooms;
