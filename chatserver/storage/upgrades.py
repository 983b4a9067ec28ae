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
