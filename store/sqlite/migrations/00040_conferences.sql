-- Parley schema, version 40: web conferences (seed 001 chapter 3,
-- Pre-/Post-Conference Management and Reporting): their schedules and
-- participants, who attended, and each conference's timeline.

-- +goose Up
-- site_id: the scheduling site, '' when a user scheduled it (owner).
-- Times are unix milliseconds, UTC; 0 for "not yet" (started_at,
-- ended_at). Flags are 0/1 integers (PostgreSQL: BOOLEAN).
CREATE TABLE conferences (
    id                 TEXT PRIMARY KEY,
    site_id            TEXT NOT NULL DEFAULT '',
    owner              TEXT NOT NULL DEFAULT '',
    title              TEXT NOT NULL DEFAULT '',
    description        TEXT NOT NULL DEFAULT '',
    meeting_type       TEXT NOT NULL,
    instant            INTEGER NOT NULL DEFAULT 0,
    conference_key     TEXT NOT NULL DEFAULT '',
    dialin_info        TEXT NOT NULL DEFAULT '',
    room_jid           TEXT NOT NULL DEFAULT '',
    registered_only    INTEGER NOT NULL,
    publicly_listed    INTEGER NOT NULL,
    host_invited_only  INTEGER NOT NULL,
    enrollment         INTEGER NOT NULL,
    publish_attendees  INTEGER NOT NULL,
    send_invitations   INTEGER NOT NULL,
    host_exit_url      TEXT NOT NULL DEFAULT '',
    attendee_exit_url  TEXT NOT NULL DEFAULT '',
    attendee_start_url TEXT NOT NULL DEFAULT '',
    start_at           INTEGER NOT NULL,
    end_at             INTEGER NOT NULL,
    state              TEXT NOT NULL,
    end_cause          TEXT NOT NULL DEFAULT '',
    started_at         INTEGER NOT NULL DEFAULT 0,
    ended_at           INTEGER NOT NULL DEFAULT 0,
    sequence           INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX conferences_site ON conferences (site_id, start_at);
CREATE INDEX conferences_owner ON conferences (owner, start_at);
CREATE INDEX conferences_state ON conferences (state, start_at);
CREATE INDEX conferences_ended ON conferences (ended_at);

-- The host and the attendees. key_secret: the secret half of the
-- participant's join key. user_id: the registered user's bare JID, ''
-- for a guest.
CREATE TABLE conference_participants (
    conference_id TEXT NOT NULL REFERENCES conferences(id) ON DELETE CASCADE,
    id            INTEGER NOT NULL,
    role          TEXT NOT NULL,
    first_name    TEXT NOT NULL DEFAULT '',
    last_name     TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    user_id       TEXT NOT NULL DEFAULT '',
    key_secret    TEXT NOT NULL,
    enrolled      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conference_id, id)
);
CREATE INDEX conference_participants_user ON conference_participants (user_id);

-- One row per stay in a conference; exited_at 0 while still in.
CREATE TABLE conference_attendance (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    conference_id  TEXT NOT NULL REFERENCES conferences(id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL DEFAULT 0,
    jid            TEXT NOT NULL,
    user_id        TEXT NOT NULL DEFAULT '',
    name           TEXT NOT NULL DEFAULT '',
    email          TEXT NOT NULL DEFAULT '',
    guest          INTEGER NOT NULL,
    host           INTEGER NOT NULL,
    entered_at     INTEGER NOT NULL,
    exited_at      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX conference_attendance_conf ON conference_attendance (conference_id, id);

-- The timeline: at is unix microseconds, UTC.
CREATE TABLE conference_events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    conference_id TEXT NOT NULL REFERENCES conferences(id) ON DELETE CASCADE,
    at            INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    nick          TEXT NOT NULL DEFAULT '',
    body          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX conference_events_conf ON conference_events (conference_id, seq);

-- +goose Down
DROP TABLE conference_events;
DROP TABLE conference_attendance;
DROP TABLE conference_participants;
DROP TABLE conferences;
