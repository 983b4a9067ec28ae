"""The SQL of each schema upgrade, frozen as it was written: migrations.MIGRATIONS applies them in order."""

from __future__ import annotations

_TIMES = (("users", ("created_at", "updated_at")), ("tokens", ("created_at",)),
          ("rooms", ("created_at", "updated_at")), ("members", ("joined_at",)),
          ("messages", ("created_at", "updated_at")), ("events", ("created_at",)))
_SHORT = "{0} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9][+-][0-9][0-9]:[0-9][0-9]'"
_FULL = "substr({0}, 1, 19) || '.000000' || substr({0}, 20)"
_FRAME_TIME, _FRAME_PARENT = "(frame ->> '$.created_at')", "(frame ->> '$.parent_message')"
_PARENT = (
    "json((SELECT json_object('id', p.id, 'content', CASE WHEN p.is_deleted THEN '' ELSE p.content END,"
    " 'created_at', p.created_at, 'sender', json_object('id', pu.id, 'name', pu.first_name, 'photo', pu.photo))"
    " FROM messages p JOIN users pu ON pu.id = p.sender_id WHERE p.id = {0}))")

# 1 -> 2: every time gets its microseconds (a time on a whole second had none); logged frames
# get the keys clients now parse: creations the quoted parent_message, parent_message_id and
# reactions ({} when new); edits, reactions and deletions the message's state (an edit's text
# as it was then, the rest as it is now, blank for a deleted message); and an index to find
# the replies whose logged quote a deletion blanks.
TO_2 = "\n".join([
    *(f"UPDATE {table} SET {column} = {_FULL.format(column)} WHERE {_SHORT.format(column)};"
      for table, columns in _TIMES for column in columns),
    f"UPDATE events SET frame = json_set(frame, '$.created_at', {_FULL.format(_FRAME_TIME)})"
    f" WHERE {_SHORT.format(_FRAME_TIME)};",
    "UPDATE events SET frame = json_set(frame,"
    f" '$.parent_message', {_PARENT.format(_FRAME_PARENT)},"
    " '$.parent_message_id', frame ->> '$.parent_message', '$.reactions', json('{}'))"
    " WHERE kind = 'created' AND json_type(frame, '$.parent_message_id') IS NULL;",
    "UPDATE events SET frame = json_set(frame,"
    " '$.message', CASE WHEN m.is_deleted THEN '' WHEN events.kind = 'edited' THEN events.frame ->> '$.new_content'"
    "  ELSE m.content END,"
    " '$.sender', json_object('name', u.first_name, 'photo', u.photo, 'id', u.id, 'role', u.role),"
    " '$.message_type', m.message_type,"
    " '$.attachment', CASE WHEN m.is_deleted THEN NULL ELSE (SELECT c.frame ->> '$.attachment' FROM events c"
    "  WHERE c.room_id = m.room_id AND c.seq = m.seq) END,"
    " '$.created_at', m.created_at, '$.room', m.room_id, '$.room_name', g.name, '$.is_self', json('false'),"
    f" '$.parent_message', {_PARENT.format('m.parent_id')}, '$.parent_message_id', m.parent_id,"
    " '$.mentions', CASE WHEN m.is_deleted THEN json('[]') ELSE json((SELECT json_group_array(user_id) FROM"
    "  (SELECT user_id FROM mentions x WHERE x.message_id = m.id ORDER BY user_id))) END,"
    " '$.reactions', CASE WHEN m.is_deleted THEN json('{}') WHEN events.kind = 'reacted'"
    "  THEN json(events.frame -> '$.reactions') ELSE json((SELECT json_group_object(reaction, n) FROM"
    "  (SELECT reaction, count(*) AS n FROM reactions r WHERE r.message_id = m.id GROUP BY reaction"
    "  ORDER BY reaction))) END)"
    " FROM messages m JOIN users u ON u.id = m.sender_id JOIN rooms g ON g.id = m.room_id"
    " WHERE m.id = events.message_id AND events.kind != 'created' AND json_type(events.frame, '$.sender') IS NULL;",
    "CREATE INDEX messages_parent ON messages (parent_id) WHERE parent_id IS NOT NULL;",
])

# 6 -> 7: governance. Room kinds (public, private, direct) with direct rooms outside the name
# uniqueness, read-only rooms and who may pin, moderators, suspended accounts, pins and who
# deleted a message, bans, mutes, invites, blocks and the audit log; the event log also takes
# pins (SQLite cannot change a CHECK in place, so the table is copied).
TO_7 = """
ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT 'public' CHECK (kind IN ('public', 'private', 'direct'));
ALTER TABLE rooms ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN members_may_pin INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN direct_key TEXT;
DROP INDEX rooms_name;
CREATE UNIQUE INDEX rooms_name ON rooms (name COLLATE NOCASE) WHERE kind != 'direct';
DROP INDEX rooms_name_key;
CREATE UNIQUE INDEX rooms_name_key ON rooms (name_key) WHERE kind != 'direct';
CREATE UNIQUE INDEX rooms_direct ON rooms (direct_key) WHERE direct_key IS NOT NULL;
ALTER TABLE members ADD COLUMN moderator INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN suspended_at TEXT;
ALTER TABLE messages ADD COLUMN pinned_at TEXT;
ALTER TABLE messages ADD COLUMN pinned_by INTEGER;
ALTER TABLE messages ADD COLUMN deleted_by INTEGER;
CREATE INDEX messages_pinned ON messages (room_id, pinned_at) WHERE pinned_at IS NOT NULL;
CREATE TABLE events_pinned (
    room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('created', 'edited', 'deleted', 'reacted', 'pinned')),
    message_id INTEGER NOT NULL,
    frame      TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (room_id, seq)
) WITHOUT ROWID;
INSERT INTO events_pinned SELECT room_id, seq, kind, message_id, frame, created_at FROM events;
DROP TABLE events;
ALTER TABLE events_pinned RENAME TO events;
CREATE INDEX events_message ON events (message_id);
CREATE TABLE bans (
    room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    actor_id INTEGER, reason TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL,
    PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
CREATE TABLE mutes (
    room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    actor_id INTEGER, until TEXT, created_at TEXT NOT NULL,
    PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
CREATE TABLE invites (
    id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE,
    room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    creator_id INTEGER, expires_at TEXT, max_uses INTEGER, uses INTEGER NOT NULL DEFAULT 0,
    revoked_at TEXT, created_at TEXT NOT NULL
);
CREATE INDEX invites_room ON invites (room_id);
CREATE TABLE blocks (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, blocked_id)
) WITHOUT ROWID;
CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor_id INTEGER, action TEXT NOT NULL,
    room_id INTEGER, target_id INTEGER, message_id INTEGER, reason TEXT NOT NULL DEFAULT '', detail TEXT
);
CREATE INDEX audit_room ON audit (room_id, id) WHERE room_id IS NOT NULL;
"""

# 7 -> 8: full-text search. The index starts empty; every message already stored is indexed in the
# background after start (storage/search_index.py: backfill), newest first, from this mark down.
TO_8 = """
CREATE VIRTUAL TABLE search_words USING fts5(body, content='', prefix='1 2 3',
    tokenize="unicode61 remove_diacritics 2 categories 'L* N* Co M*'");
CREATE VIRTUAL TABLE search_grams USING fts5(body, content='', tokenize='trigram');
INSERT INTO high_water (name, value) SELECT 'search_backfill', coalesce(max(id), 0) FROM messages;
"""
