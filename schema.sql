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
    email_key     TEXT,
    suspended_at  TEXT
);
-- email_key: names.email_key(email), NFKC, case-folded.
-- suspended_at set: the account may not log in or connect (a site admin suspended it).
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
    name_key    TEXT,
    kind        TEXT    NOT NULL DEFAULT 'public' CHECK (kind IN ('public', 'private', 'direct')),
    read_only   INTEGER NOT NULL DEFAULT 0,
    members_may_pin INTEGER NOT NULL DEFAULT 0,
    direct_key  TEXT
);
-- name_key: names.room_key(name), case, accents and width folded.
-- kind public: listed, anyone may join; private: members only, joined when added or by invite;
-- direct: the one room of two users, direct_key '<lower id>:<higher id>'. read_only: only the
-- owner and moderators post. members_may_pin: members, not only moderators, may pin.
-- Names are unique among group rooms; direct rooms are known by their two users instead.
CREATE UNIQUE INDEX rooms_name ON rooms (name COLLATE NOCASE) WHERE kind != 'direct';
CREATE UNIQUE INDEX rooms_name_key ON rooms (name_key) WHERE kind != 'direct';
CREATE UNIQUE INDEX rooms_direct ON rooms (direct_key) WHERE direct_key IS NOT NULL;

-- last_read_id: the newest message id the member has read; moderator: set by the room's owner.
CREATE TABLE members (
    room_id      INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_read_id INTEGER NOT NULL DEFAULT 0,
    joined_at    TEXT    NOT NULL,
    moderator    INTEGER NOT NULL DEFAULT 0,
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
    updated_at   TEXT    NOT NULL,
    pinned_at    TEXT,
    pinned_by    INTEGER,
    deleted_by   INTEGER
);
-- deleted_by: who deleted a deleted message (its author, a moderator or a site admin).
CREATE INDEX messages_room ON messages (room_id, id);
-- Deleting a message blanks what the logged frames of its replies quote of it.
CREATE INDEX messages_parent ON messages (parent_id) WHERE parent_id IS NOT NULL;
-- A retried send (same sender, room and client_id) never creates a second message.
CREATE UNIQUE INDEX messages_client ON messages (room_id, sender_id, client_id) WHERE client_id IS NOT NULL;
-- A user's stored attachments, summed for their upload quota.
CREATE INDEX messages_attachments ON messages (sender_id) WHERE attachment IS NOT NULL;
CREATE INDEX messages_pinned ON messages (room_id, pinned_at) WHERE pinned_at IS NOT NULL;

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
    kind       TEXT    NOT NULL CHECK (kind IN ('created', 'edited', 'deleted', 'reacted', 'pinned')),
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

-- A banned user is not a member and cannot join, be added, or use an invite until unbanned.
CREATE TABLE bans (
    room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    actor_id   INTEGER,
    reason     TEXT    NOT NULL DEFAULT '',
    created_at TEXT    NOT NULL,
    PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;

-- A muted member reads but cannot send, edit or react until `until` (NULL: until unmuted).
CREATE TABLE mutes (
    room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    actor_id   INTEGER,
    until      TEXT,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;

-- An invite's code joins its room while it is not revoked, expired or used up.
CREATE TABLE invites (
    id         INTEGER PRIMARY KEY,
    code       TEXT    NOT NULL UNIQUE,
    room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    creator_id INTEGER,
    expires_at TEXT,
    max_uses   INTEGER,
    uses       INTEGER NOT NULL DEFAULT 0,
    revoked_at TEXT,
    created_at TEXT    NOT NULL
);
CREATE INDEX invites_room ON invites (room_id);

-- user_id blocks blocked_id: no direct room between them is opened or written to.
CREATE TABLE blocks (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (user_id, blocked_id)
) WITHOUT ROWID;

-- Append-only: one row per moderation action. No foreign keys: a row outlives its room and users.
CREATE TABLE audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT    NOT NULL,
    actor_id   INTEGER,
    action     TEXT    NOT NULL,
    room_id    INTEGER,
    target_id  INTEGER,
    message_id INTEGER,
    reason     TEXT    NOT NULL DEFAULT '',
    detail     TEXT                                 -- JSON object, or NULL
);
CREATE INDEX audit_room ON audit (room_id, id) WHERE room_id IS NOT NULL;

-- Full-text search (storage/search_index.py): contentless FTS5 indexes of names.search_key(content),
-- keyed by message id, written in the transaction of each send, edit and delete. search_words: words,
-- combining marks kept inside them (Indic scripts); search_grams: trigrams of the messages that hold a
-- script written without spaces (CJK, Thai), matched by substring. Messages with ids up to the
-- high_water value 'search_backfill' are not indexed yet: the server indexes them in the background.
-- search_words also keeps the doclists of every 1-, 2- and 3-character prefix: a short prefix of
-- common words (t*, th*, the*) reads one list instead of merging those of every word it begins.
CREATE VIRTUAL TABLE search_words USING fts5(body, content='', prefix='1 2 3',
    tokenize="unicode61 remove_diacritics 2 categories 'L* N* Co M*'");
CREATE VIRTUAL TABLE search_grams USING fts5(body, content='', tokenize='trigram');
INSERT INTO high_water (name, value) VALUES ('search_backfill', 0);
