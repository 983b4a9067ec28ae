// Room kinds and invites: the kind shown and switched, invite links made and copied, and accepted when opened.

import { api } from "./api.js";
import { $, el, show } from "./dom.js";

const INVITE_HASH = /^#invite=([A-Za-z0-9_-]{1,64})$/;
const KIND_TEXT = { public: "Public", private: "Private", direct: "Direct" };

/** A small label for a room that is not public (room lists), or null. */
export function kindBadge(room) {
  if (!room.kind || room.kind === "public") return null;
  return el("span", { class: "kind-badge", dataset: { testid: "room-kind-badge" }, text: KIND_TEXT[room.kind] || room.kind });
}

/** The room of an invite link (`#invite=<code>`) this page was opened with, joined; null without one. */
export async function acceptLinkedInvite() {
  const code = INVITE_HASH.exec(location.hash)?.[1];
  if (!code) return null;
  history.replaceState(null, "", location.pathname);
  return (await api.acceptInvite(code)).room;
}

/** The link that joins a room with an invite's code. */
export function inviteLink(code) {
  return `${location.origin}${location.pathname}#invite=${code}`;
}

/** The open room's kind, its switch (owner, site admins) and its invites (owner, moderators, site admins). */
export class RoomSettings {
  /** hooks: { me() -> user, changed(room) after the kind changed, notice(text) } */
  constructor(hooks) {
    this.hooks = hooks;
    this.room = null;
    this.box = $("room-settings");
  }

  hide() {
    this.room = null;
    this.box.replaceChildren();
  }

  async show(room) {
    this.room = room;
    const me = this.hooks.me();
    const manages = room.created_by?.id === me?.id || me?.role === "admin";
    let moderates = manages;
    if (!moderates && room.kind !== "direct") {
      const members = await api.members(room.id).catch(() => []);
      moderates = members.some((member) => member.id === me?.id && member.room_role === "moderator");
    }
    if (this.room !== room) return;
    const other = room.kind === "private" ? "public" : "private";
    this.box.replaceChildren(
      el("span", { class: "room-kind", dataset: { testid: "room-kind" }, text: `${KIND_TEXT[room.kind] || room.kind} room` }),
      manages && room.kind !== "direct"
        ? el("button", { type: "button", dataset: { testid: "room-kind-switch" }, text: `Make ${other}`, onclick: () => this.switchKind(room, other) })
        : null,
      moderates && room.kind !== "direct"
        ? el("button", { type: "button", dataset: { testid: "invite-create" }, text: "Invite link", onclick: () => this.invite(room) })
        : null,
      el("span", { class: "invite-box", dataset: { testid: "invite-box" } }));
  }

  async switchKind(room, kind) {
    try {
      const answer = await api.editRoom(room.id, { kind });
      await this.show(answer.room);
      this.hooks.changed(answer.room);
    } catch (err) {
      this.hooks.notice(err.message);
    }
  }

  async invite(room) {
    let made;
    try {
      made = await api.createInvite(room.id);
    } catch (err) {
      this.hooks.notice(err.message);
      return;
    }
    const link = el("input", { readonly: true, class: "invite-link", "aria-label": "Invite link", dataset: { testid: "invite-link" }, value: inviteLink(made.code) });
    const copy = el("button", { type: "button", dataset: { testid: "invite-copy" }, text: "Copy", onclick: () => copyLink(link, copy) });
    const box = this.box.querySelector(".invite-box");
    box.replaceChildren(link, copy);
    show(box, true);
    link.select();
  }
}

async function copyLink(input, button) {
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    document.execCommand?.("copy"); // no clipboard permission: copy the selection the old way
  }
  button.textContent = "Copied";
}
