// Direct messages: open one with a member (the Members panel's "Message"), and block or unblock the other person of a direct room.

import { api } from "./api.js";
import { $, show } from "./dom.js";

const fullName = (person) => [person.first_name, person.last_name].filter(Boolean).join(" ");

export class DirectMessages {
  /** hooks: { room() -> the open room or null, openRoom(room), notice(text) } */
  constructor(hooks) {
    this.hooks = hooks;
    this.blocked = false;
    $("block-toggle").addEventListener("click", () => this.toggleBlock());
  }

  /** A room was opened: the block button for a direct one. */
  async opened(room) {
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

  /** Opens (creating it the first time) the direct room with a member. */
  async message(member) {
    let answer;
    try {
      answer = await api.openDirect(member.id);
    } catch (err) {
      this.hooks.notice(err.status === 403 ? `You cannot message ${fullName(member)}: a block stands between you.` : err.message);
      return;
    }
    await this.hooks.openRoom(answer.room);
  }
}
