-- chatserver schema. Applied whole to a new database; later changes are ordered
-- migrations in chatserver/storage/db.py, keyed by PRAGMA user_version.
-- Times are ISO 8601 strings in UTC with microseconds and offset, always 32 characters,
-- e.g. 2026-11-25T20:30:00.123456+00:00 (storage/db.py: iso).

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,          -- stored lower-cased
    password_hash TEXT    NOT NULL,                 -- scrypt$N$r$p$salt$hash
    first_name    TEXT    NOT NULL,
    last_name     TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member')),
    photo         TEXT,
    year          TEXT,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    email_key     TEXT                              -- names.email_key(email): NFKC, case-folded
);
-- Addresses that differ only in case or width are one address.
CREATE UNIQUE INDEX users_email_key ON users (email_key);

-- Only a SHA-256 digest of each token is kept; prefix is the first 6 characters, to tell tokens apart.
-- last_used_at is written at most once a minute per token; address: the client it was last used from.
CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY,
    digest       TEXT    NOT NULL UNIQUE,
    prefix       TEXT    NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TEXT    NOT NULL,
    last_used_at TEXT,
    address      TEXT
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE rooms (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    room_avatar TEXT,
    is_active   INTEGER NOT NULL DEFAULT 1,
    owner_id    INTEGER NOT NULL REFERENCES users (id),
    last_seq    INTEGER NOT NULL DEFAULT 0,          -- seq of the room's newest event
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    name_key    TEXT                                -- names.room_key(name): case, accents and width folded
);
CREATE UNIQUE INDEX rooms_name ON rooms (name COLLATE NOCASE);
CREATE UNIQUE INDEX rooms_name_key ON rooms (name_key);

-- last_read_id: the newest message id the member has read.
CREATE TABLE members (
    room_id      INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_read_id INTEGER NOT NULL DEFAULT 0,
    joined_at    TEXT    NOT NULL,
    PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_user ON members (user_id, room_id);

CREATE TABLE messages (
    id           INTEGER PRIMARY KEY,
    room_id      INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    sender_id    INTEGER NOT NULL REFERENCES users (id),
    message_type TEXT    NOT NULL DEFAULT 'text' CHECK (message_type IN ('text', 'image', 'file')),
    content      TEXT    NOT NULL,
    attachment   TEXT,                              -- file name under the media folder
    parent_id    INTEGER,
    client_id    TEXT,
    is_deleted   INTEGER NOT NULL DEFAULT 0,
    is_edited    INTEGER NOT NULL DEFAULT 0,
    seq          INTEGER NOT NULL,                  -- seq of the event that created it
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);
CREATE INDEX messages_room ON messages (room_id, id);
-- Deleting a message blanks what the logged frames of its replies quote of it.
CREATE INDEX messages_parent ON messages (parent_id) WHERE parent_id IS NOT NULL;
-- A retried send (same sender, room and client_id) never creates a second message.
CREATE UNIQUE INDEX messages_client ON messages (room_id, sender_id, client_id) WHERE client_id IS NOT NULL;
-- A user's stored attachments, summed for their upload quota.
CREATE INDEX messages_attachments ON messages (sender_id) WHERE attachment IS NOT NULL;

CREATE TABLE mentions (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (message_id, user_id)
) WITHOUT ROWID;

-- One reaction per user and message.
CREATE TABLE reactions (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reaction   TEXT    NOT NULL,
    PRIMARY KEY (message_id, user_id)
) WITHOUT ROWID;

-- The per-room event log: every change to a room gets the room's next seq, in the
-- same transaction as the change. frame is the JSON frame as it was broadcast, except that
-- an attachment is kept as its file name: each reader gets the URL built for them.
CREATE TABLE events (
    room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('created', 'edited', 'deleted', 'reacted')),
    message_id INTEGER NOT NULL,
    frame      TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (room_id, seq)
) WITHOUT ROWID;
CREATE INDEX events_message ON events (message_id);

-- The highest message id ever handed out: ids are never reused, even after the rooms holding
-- the newest messages are deleted and the server restarts.
CREATE TABLE high_water (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO high_water (name, value) VALUES ('message_id', 0);
