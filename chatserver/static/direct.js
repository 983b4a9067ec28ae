// Direct messages: start one from a member's name, and block or unblock the other person of a direct room.

import { api } from "./api.js";
import { $, el, show } from "./dom.js";

const fullName = (person) => [person.first_name, person.last_name].filter(Boolean).join(" ");

export class DirectMessages {
  /** hooks: { meId(), room() -> the open room or null, openRoom(room), notice(text) } */
  constructor(hooks) {
    this.hooks = hooks;
    this.blocked = false;
    $("members-open").addEventListener("click", () => this.toggleMembers());
    $("block-toggle").addEventListener("click", () => this.toggleBlock());
  }

  /** A room was opened: its member list for a group room, the block button for a direct one. */
  async opened(room) {
    this.closeMembers();
    show($("members-open"), room.kind !== "direct");
    show($("block-toggle"), false);
    if (room.kind !== "direct" || !room.direct_user) return;
    let blocks;
    try {
      blocks = await api.blocks();
    } catch {
      return;
    }
    if (this.hooks.room() !== room) return;
    this.setBlocked(blocks.some((entry) => entry.user.id === room.direct_user.id));
    show($("block-toggle"), true);
  }

  setBlocked(blocked) {
    this.blocked = blocked;
    const name = this.hooks.room()?.direct_user?.first_name || "them";
    $("block-toggle").textContent = blocked ? `Unblock ${name}` : `Block ${name}`;
    $("block-toggle").dataset.blocked = String(blocked);
  }

  async toggleBlock() {
    const room = this.hooks.room();
    const other = room?.direct_user;
    if (!other) return;
    try {
      await (this.blocked ? api.unblock(other.id) : api.block(other.id));
    } catch (err) {
      this.hooks.notice(err.message);
      return;
    }
    if (this.hooks.room() === room) this.setBlocked(!this.blocked);
  }

  closeMembers() {
    show($("members-panel"), false);
    $("members-open").setAttribute("aria-expanded", "false");
  }

  async toggleMembers() {
    if (!$("members-panel").hidden) return this.closeMembers();
    const room = this.hooks.room();
    if (!room) return undefined;
    let members;
    try {
      members = await api.members(room.id);
    } catch (err) {
      return this.hooks.notice(err.message);
    }
    if (this.hooks.room() !== room) return undefined;
    const me = this.hooks.meId();
    $("member-list").replaceChildren(...members.map((member) => el("li", {
      class: "member-item", dataset: { testid: "member-item", userId: String(member.id) } },
    el("span", { class: "room-name", text: fullName(member) }),
    member.id === me
      ? el("span", { class: "hint", text: "you" })
      : el("button", { type: "button", dataset: { testid: "message-member" }, "aria-label": `Message ${fullName(member)}`,
        text: "Message", onclick: () => this.message(member) }))));
    show($("members-panel"), true);
    $("members-open").setAttribute("aria-expanded", "true");
    return undefined;
  }

  /** Opens (creating it the first time) the direct room with a member. */
  async message(member) {
    let answer;
    try {
      answer = await api.openDirect(member.id);
    } catch (err) {
      this.hooks.notice(err.status === 403 ? `You cannot message ${fullName(member)}: a block stands between you.` : err.message);
      return;
    }
    this.closeMembers();
    await this.hooks.openRoom(answer.room);
  }
}
