-- Parley schema, version 30: live help (seed 001 chapter 4): support
-- groups and their members, guests (restricted temporary users of web
-- visitors), the guest chat requests already used (replays are refused),
-- and chat transcripts.

-- +goose Up
-- Options of 0 or '' mean the server's default. sites_json: a JSON array
-- of the site IDs whose visitors may be routed here, [] for every site.
CREATE TABLE support_groups (
    jid              TEXT PRIMARY KEY,
    name             TEXT NOT NULL DEFAULT '',
    strategy         TEXT NOT NULL DEFAULT '',
    offer_timeout_ms INTEGER NOT NULL DEFAULT 0,
    max_chats        INTEGER NOT NULL DEFAULT 0,
    sites_json       TEXT NOT NULL DEFAULT '[]',
    email            TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL -- unix milliseconds, UTC
);

-- owner is the member (a local account): deleting the account deletes
-- its memberships (explicitly too, with the user's other rows).
CREATE TABLE support_group_members (
    group_jid TEXT NOT NULL REFERENCES support_groups(jid) ON DELETE CASCADE,
    owner     TEXT NOT NULL REFERENCES users(jid) ON DELETE CASCADE,
    role      TEXT NOT NULL,
    PRIMARY KEY (group_jid, owner)
);
CREATE INDEX support_group_members_owner ON support_group_members (owner);

CREATE TABLE livehelp_guests (
    jid           TEXT PRIMARY KEY,
    site_id       TEXT NOT NULL,
    from_user_jid TEXT NOT NULL,
    display_name  TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    UNIQUE (site_id, from_user_jid)
);
CREATE INDEX livehelp_guests_expiry ON livehelp_guests (expires_at);

CREATE TABLE livehelp_used_requests (
    token_id   INTEGER NOT NULL,
    digest     TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (token_id, digest)
);
CREATE INDEX livehelp_used_requests_expiry ON livehelp_used_requests (expires_at);

-- AUTOINCREMENT: a chat id is never reused (sites keep them).
CREATE TABLE livehelp_chats (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id       TEXT NOT NULL,
    guest_jid     TEXT NOT NULL,
    from_user_jid TEXT NOT NULL,
    display_name  TEXT NOT NULL DEFAULT '',
    group_jid     TEXT NOT NULL DEFAULT '',
    target        TEXT NOT NULL,
    subject       TEXT NOT NULL DEFAULT '',
    agent         TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL,
    email         TEXT NOT NULL DEFAULT '',
    started_at    INTEGER NOT NULL,
    ended_at      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX livehelp_chats_site ON livehelp_chats (site_id, started_at);
CREATE INDEX livehelp_chats_guest ON livehelp_chats (guest_jid, started_at);
CREATE INDEX livehelp_chats_state ON livehelp_chats (state);

CREATE TABLE livehelp_chat_lines (
    chat_id INTEGER NOT NULL REFERENCES livehelp_chats(id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    sender  TEXT NOT NULL,
    jid     TEXT NOT NULL DEFAULT '',
    name    TEXT NOT NULL DEFAULT '',
    body    TEXT NOT NULL,
    PRIMARY KEY (chat_id, seq)
);

-- +goose Down
DROP TABLE livehelp_chat_lines;
DROP TABLE livehelp_chats;
DROP TABLE livehelp_used_requests;
DROP TABLE livehelp_guests;
DROP TABLE support_group_members;
DROP TABLE support_groups;
