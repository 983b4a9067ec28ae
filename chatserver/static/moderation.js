// The open room's Members panel (roles, "Message", remove, ban, make moderator), the read-only switch and the composer's note.

import { request } from "./api.js";
import { $, el, show } from "./dom.js";

const ROLE_TEXT = { owner: "owner", moderator: "moderator", member: "" };

export const moderationApi = {
  setReadOnly: (roomId, readOnly) => request("PATCH", `chat/edit-group/${roomId}/`, { read_only: readOnly }),
  addModerator: (roomId, userId) => request("POST", `chat/groups/${roomId}/moderators/`, { user_id: userId }),
  removeModerator: (roomId, userId) => request("DELETE", `chat/groups/${roomId}/moderators/${userId}/`),
  removeMember: (roomId, userId) => request("DELETE", `chat/groups/${roomId}/members/${userId}/`),
  ban: (roomId, userId, reason, deleteMessages) =>
    request("POST", `chat/groups/${roomId}/bans/`, { user_id: userId, reason, delete_messages: deleteMessages }),
};

export class Moderation {
  /**
   * hooks: { me() -> user, room() -> the open room, members() -> Map of its members, reloadMembers() -> Promise,
   * powersChanged(): the caller became a moderator of the open room or stopped being one, message(member): open a direct room }
   */
  constructor(hooks) {
    this.hooks = hooks;
    this.moderating = false; // what mayModerate() said at the last render
    this.banningId = null; // the member whose ban form is open
    this.toggle = el("button", { type: "button", id: "members-open", "aria-controls": "members-panel", "aria-expanded": "false",
      dataset: { testid: "members-open" }, text: "Members", hidden: true, onclick: () => this.setOpen(this.panel.hidden) });
    this.list = el("ul", { class: "member-list", dataset: { testid: "member-list" } });
    this.error = el("p", { class: "form-error", role: "alert", dataset: { testid: "members-error" } });
    this.readOnly = el("input", { type: "checkbox", dataset: { testid: "read-only-toggle" },
      onchange: () => this.act(() => moderationApi.setReadOnly(this.hooks.room().id, this.readOnly.checked), true) });
    this.readOnlyLabel = el("label", { class: "switch" }, this.readOnly, " Read-only: only the owner and moderators post");
    this.panel = el("section", { id: "members-panel", class: "panel members-panel", "aria-label": "Members",
      dataset: { testid: "members-panel" }, hidden: true }, this.readOnlyLabel, this.list, this.error);
    this.note = el("p", { class: "hint read-only-note", dataset: { testid: "read-only-note" }, hidden: true,
      text: "This room is read-only: only its owner and moderators post here. You can still read and react." });
    $("leave-room").before(this.toggle);
    $("notice").before(this.panel);
    $("composer").before(this.note);
  }

  /** The caller owns the room or is a site admin: may make moderators and switch read-only. */
  manages() {
    const me = this.hooks.me();
    const room = this.hooks.room();
    return Boolean(me && room && (me.role === "admin" || room.created_by?.id === me.id));
  }

  /** The caller may delete any message, remove and ban: the owner, a moderator or a site admin. */
  mayModerate() {
    const me = this.hooks.me();
    return Boolean(me && (this.manages() || this.hooks.members().get(me.id)?.room_role === "moderator"));
  }

  close() {
    this.banningId = null;
    this.moderating = false;
    this.setOpen(false);
    show(this.toggle, false);
    show(this.note, false);
  }

  setOpen(open) {
    show(this.panel, open);
    this.toggle.setAttribute("aria-expanded", String(open));
    if (open) this.render();
  }

  /** The open room (or its members) changed: what the caller may do, and the composer, follow. */
  render() {
    const room = this.hooks.room();
    if (!room) return;
    show(this.toggle, room.kind !== "direct");
    if (this.mayModerate() !== this.moderating) {
      this.moderating = this.mayModerate();
      this.hooks.powersChanged();
    }
    const silenced = Boolean(room.read_only) && !this.mayModerate();
    show(this.note, silenced);
    show($("composer"), !silenced);
    show(this.readOnlyLabel, this.manages());
    this.readOnly.checked = Boolean(room.read_only);
    if (!this.panel.hidden) this.list.replaceChildren(...[...this.hooks.members().values()].map((m) => this.renderMember(m)));
  }

  renderMember(member) {
    const me = this.hooks.me();
    const room = this.hooks.room();
    const name = [member.first_name, member.last_name].filter(Boolean).join(" ");
    const button = (testid, text, onclick, label) => el("button", { type: "button", dataset: { testid }, text, onclick, "aria-label": label });
    const other = member.id !== me.id && member.room_role !== "owner";
    const reachable = other && this.mayModerate() && (member.room_role !== "moderator" || this.manages());
    const roleButton = other && this.manages()
      ? member.room_role === "moderator"
        ? button("unmake-moderator", "Remove moderator", () => this.act(() => moderationApi.removeModerator(room.id, member.id)))
        : button("make-moderator", "Make moderator", () => this.act(() => moderationApi.addModerator(room.id, member.id)))
      : null;
    return el("li", { class: "member", dataset: { testid: "member", userId: String(member.id), role: member.room_role } },
      el("span", { class: "member-name", text: name }),
      ROLE_TEXT[member.room_role] ? el("span", { class: "badge role", dataset: { testid: "member-role" }, text: ROLE_TEXT[member.room_role] }) : null,
      member.id === me.id ? el("span", { class: "hint", text: "you" })
        : button("message-member", "Message", () => this.hooks.message(member), `Message ${name}`),
      roleButton,
      reachable ? button("remove-member", "Remove", () => this.act(() => moderationApi.removeMember(room.id, member.id))) : null,
      reachable ? button("ban-member", "Ban", () => { this.banningId = this.banningId === member.id ? null : member.id; this.render(); }) : null,
      reachable && this.banningId === member.id ? this.banForm(member) : null);
  }

  banForm(member) {
    const reason = el("input", { maxlength: "500", placeholder: "Reason (seen by moderators)", dataset: { testid: "ban-reason" } });
    const wipe = el("input", { type: "checkbox", dataset: { testid: "ban-delete-messages" } });
    return el("form", { class: "ban-form", dataset: { testid: "ban-form" }, onsubmit: (event) => {
      event.preventDefault();
      this.banningId = null;
      this.act(() => moderationApi.ban(this.hooks.room().id, member.id, reason.value, wipe.checked));
    } }, reason, el("label", {}, wipe, " Also delete their messages in this room"),
    el("button", { type: "submit", dataset: { testid: "ban-confirm" }, text: "Ban" }));
  }

  /** Run one change; then the members (and, with roomChange, the room) as the server has them now. */
  async act(change, roomChange = false) {
    this.error.textContent = "";
    try {
      const answer = await change();
      if (roomChange && answer?.room) Object.assign(this.hooks.room(), answer.room);
    } catch (err) {
      this.error.textContent = err.message;
    }
    await this.hooks.reloadMembers();
    this.render();
  }

  /** The room as the room list now has it (another window or moderator may have changed it). */
  roomUpdated(room) {
    const open = this.hooks.room();
    if (!room || !open || open.id !== room.id) return;
    Object.assign(open, room);
    this.hooks.reloadMembers().then(() => this.render());
  }
}
