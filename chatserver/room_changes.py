"""What each kind of change means, inside one batch of the publisher: send, edit, delete, react, pin.

The whole batch runs in one transaction of the Store (write_changes), on its writer's side: a
change checks the rules against what the batch reads, takes the room's next seq, writes through
the batch and returns what happened as a Committed, which the publisher turns into frames. Every
change that happens takes the room's next seq; a refused change takes none, so the log has no holes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from . import rules, shapes
from .errors import ChatError, not_found
from .store import ChangeBatch, Key, Row


EVENTS = {"send": "created", "edit": "edited", "delete": "deleted", "react": "reacted", "pin": "pinned"}  # kind -> its event


@dataclass(slots=True)
class Change:
    """One requested change: kind is send, edit, delete, react or pin."""

    kind: str
    room: Row
    user: Row
    data: dict[str, Any]
    reply_to: object = None  # whoever asked (a socket): the publisher's to answer, opaque here
    base: str = ""  # where the requester reaches this server: live frames' attachment URLs are built on it
    moderating: bool = False  # a moderator's change (a ban's deletions, REST): a site admin need not be a member
    future: asyncio.Future[Any] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


@dataclass(slots=True)
class Committed:
    """What a committed change did: the event the room gets (own: its sender's copy), or a reply to the asker alone."""

    room_id: int
    seq: int | None = None
    event: dict[str, Any] | None = None
    logged: bytes | None = None  # the event as JSON when the log keeps exactly it, so it is encoded once
    own: dict[str, Any] | None = None
    sender_id: int | None = None
    message_id: int | None = None
    reply: dict[str, Any] | None = None
    removed_file: str | None = None


@dataclass(slots=True)
class Sends:
    """What one batch knows of sends by client_id: stored before it, and sent in it."""

    stored: dict[Key, Row]
    sent: dict[Key, Committed] = field(default_factory=dict)

    def answered(self, change: Change) -> bool:
        """A send stored already (before or in this batch): a retry, answered with what was stored."""
        if change.kind != "send" or not change.data.get("client_id"):
            return False
        key = client_key(change)
        return key in self.sent or key in self.stored


def apply(changes: list[Change], batch: ChangeBatch) -> list[Committed | ChatError]:
    """Write every change of a batch; each one's outcome, or the ChatError that refused it."""
    sends = Sends(batch.existing_sends([client_key(c) for c in changes if c.kind == "send" and c.data.get("client_id")]))
    pairs = sorted({(c.room["id"], c.user["id"]) for c in changes})
    members, muted = batch.memberships(pairs), batch.muted(pairs)
    blocked = batch.blocked_rooms(sorted({c.room["id"] for c in changes if c.room["kind"] == "direct"}))
    outcomes: list[Committed | ChatError] = []
    for change in changes:
        try:
            pair = (change.room["id"], change.user["id"])
            standing = members.get(pair)
            # purge: a site admin's deletion of a suspended user's messages, in rooms they left too (never a client's)
            if not (change.moderating and rules.is_admin(change.user) or change.data.get("purge", False)):
                rules.check_still_member(standing is not None)
            rules.check_not_blocked(change.room["id"] in blocked and change.kind in rules.BLOCKED_CHANGES
                                    and not sends.answered(change))
            if change.kind in rules.SILENCED and not sends.answered(change):
                rules.check_not_muted(pair in muted, muted.get(pair))
            outcomes.append(_send(batch, sends, change, standing) if change.kind == "send"
                            else APPLY[change.kind](batch, change, standing))
        except ChatError as exc:
            outcomes.append(exc)
    return outcomes


def _next_seq(batch: ChangeBatch, room_id: int) -> int:
    seq = batch.next_seq(room_id)
    if seq is None:
        raise not_found("This room no longer exists.")
    return seq


def client_key(change: Change) -> Key:
    """A send's (room_id, sender_id, client_id)."""
    return (change.room["id"], change.user["id"], change.data["client_id"])


def _check_may_post(standing: Row | None, user: Row) -> None:
    rules.check_may_post(bool(standing and standing["read_only"]), rules.moderates(standing, user))


def _send(batch: ChangeBatch, sends: Sends, change: Change, standing: Row | None) -> Committed:
    data, room, user = change.data, change.room, change.user
    client_id = data.get("client_id")
    key = client_key(change) if client_id else None
    if sends.answered(change):
        return _retry_answer(sends, key, client_id, change.base)
    _check_may_post(standing, user)
    parent = data.get("parent_message")
    replied = None
    if parent is not None:
        replied = batch.reply_target(parent)
        rules.check_reply(replied, room["id"])
    seq = _next_seq(batch, room["id"])
    message_id = batch.new_message_id()
    now = batch.now
    mentions = sorted(set(data.get("mentions") or ()))
    state = {"id": message_id, "room_id": room["id"], "room_name": batch.room_name(room["id"]),
             "sender_id": user["id"], "first_name": user["first_name"], "photo": user["photo"],
             "role": user["role"], "message_type": data.get("message_type", "text"),
             "content": data["message"], "attachment": data.get("attachment"), "created_at": now,
             "parent_id": parent, "parent": replied and replied["parent"], "mentions": mentions,
             "reactions": {}, "is_deleted": 0}
    frame = {**shapes.message_frame(state, change.base), "seq": seq}
    batch.add_message((message_id, room["id"], user["id"], frame["message_type"], data["message"],
                       data.get("attachment"), parent, client_id, seq, now), mentions)
    logged = batch.log_event(room["id"], seq, EVENTS["send"], message_id, _for_log(frame, state))
    own = {**frame, "is_self": True}
    if client_id:
        own["client_id"] = client_id
    committed = Committed(room["id"], seq, frame, _same(frame, logged), own, user["id"], message_id)
    if key is not None:
        sends.sent[key] = committed
    return committed


def _retry_answer(sends: Sends, key: Key, client_id: str, base: str) -> Committed:
    earlier = sends.sent.get(key)
    if earlier is not None:
        return Committed(key[0], message_id=earlier.message_id, reply=earlier.own)
    row = sends.stored[key]
    frame = row["frame"]
    frame["is_self"] = True
    frame["client_id"] = client_id
    frame["attachment"] = shapes.media_url(base, frame.get("attachment"))
    return Committed(key[0], message_id=row["id"], reply=frame)


def _for_log(frame: dict[str, Any], state: Row) -> dict[str, Any]:
    """The frame as the event log keeps it: the file's name, never a URL (a replay builds the URL
    for its own reader)."""
    if frame.get("attachment") is None:
        return frame
    return {**frame, "attachment": state["attachment"]}


def _same(frame: dict[str, Any], logged: bytes) -> bytes | None:
    """The log's JSON of the frame when it is the frame's own (no attachment URL in it)."""
    return logged if frame.get("attachment") is None else None


def _target(batch: ChangeBatch, change: Change, standing: Row | None) -> Row:
    """The message a change names, checked against the rules for that kind of change."""
    state = batch.message_state(change.data["message_id"])
    rules.check_message_change(change.kind, state, change.room["id"], change.user, rules.moderates(standing, change.user))
    return state


def _edit(batch: ChangeBatch, change: Change, standing: Row | None) -> Committed:
    state = _target(batch, change, standing)
    _check_may_post(standing, change.user)
    seq = _next_seq(batch, change.room["id"])
    batch.edit_content(state["id"], change.data["new_content"])
    frame = {"action": "edited", "id": state["id"], "new_content": change.data["new_content"]}
    return _logged(batch, change, state["id"], seq, frame)


def _delete(batch: ChangeBatch, change: Change, standing: Row | None) -> Committed:
    state = _target(batch, change, standing)
    seq = _next_seq(batch, change.room["id"])
    user = change.user
    batch.erase(state["id"], user["id"])
    if state["sender_id"] != user["id"]:
        batch.record(user["id"], "message_deleted", room_id=change.room["id"], target_id=state["sender_id"],
                     message_id=state["id"])
    frame = {"action": "deleted", "id": state["id"], "deleted_by": {"id": user["id"], "name": user["first_name"]}}
    committed = _logged(batch, change, state["id"], seq, frame)
    committed.removed_file = state["attachment"]
    return committed


def _react(batch: ChangeBatch, change: Change, standing: Row | None) -> Committed:
    state = _target(batch, change, standing)
    seq = _next_seq(batch, change.room["id"])
    counts = batch.toggle_reaction(state["id"], change.user["id"], change.data["reaction"])
    frame = {"action": "reacted", "id": state["id"], "reactions": counts}
    return _logged(batch, change, state["id"], seq, frame)


def _pin(batch: ChangeBatch, change: Change, standing: Row | None) -> Committed:
    state = _target(batch, change, standing)
    rules.check_may_pin(batch.pin_rights(change.room["id"], change.user["id"]), change.user)
    pin = change.data["pin"]
    rules.check_pin_change(state, pin, batch.pin_count(change.room["id"]), change.data["limit"])
    seq = _next_seq(batch, change.room["id"])
    batch.set_pin(state["id"], change.user["id"] if pin else None)
    frame = {"action": "message_pinned", "id": state["id"], "is_pinned": pin,
             "pinned_at": batch.now if pin else None, "pinned_by": change.user["id"] if pin else None}
    return _logged(batch, change, state["id"], seq, frame)


def _logged(batch: ChangeBatch, change: Change, message_id: int, seq: int, frame: dict[str, Any]) -> Committed:
    """Log and broadcast a change with the message's state after it; its sender's copy says is_self."""
    row = batch.message_row(message_id)
    frame = {**frame, **shapes.message_frame(row, change.base), "seq": seq}
    logged = batch.log_event(change.room["id"], seq, EVENTS[change.kind], message_id, _for_log(frame, row))
    return Committed(change.room["id"], seq, frame, _same(frame, logged), {**frame, "is_self": True},
                     row["sender_id"], message_id)


APPLY = {"edit": _edit, "delete": _delete, "react": _react, "pin": _pin}
