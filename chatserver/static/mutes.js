// Mutes in the open room: the composer explains the caller's own mute; moderators mute and unmute from a message.

import { api } from "./api.js";
import { el, show } from "./dom.js";

export const MUTE_CHOICES = [["10 minutes", 600], ["1 hour", 3600], ["1 day", 86400], ["Until unmuted", null]];

/** "until 14:05" for a time today, with the date otherwise; "until unmuted" for null. */
export function untilText(until) {
  if (!until) return "until a moderator unmutes you";
  const date = new Date(until);
  const sameDay = date.toDateString() === new Date().toDateString();
  const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return `until ${sameDay ? time : `${date.toLocaleDateString()} ${time}`}`;
}

export class Mutes {
  /** parts: { form, input }; hooks: { meId(), mayModerate(), notice(text) } */
  constructor(parts, hooks) {
    this.parts = parts;
    this.hooks = hooks;
    this.roomId = null;
    this.muted = new Map(); // user id -> until (null: until lifted), as far as this page knows
    this.timer = null;
    this.banner = el("p", { class: "muted-banner", role: "status", dataset: { testid: "composer-muted" } });
    this.banner.hidden = true;
    parts.form.prepend(this.banner);
  }

  async load(roomId) {
    this.roomId = roomId;
    this.set([]);
    try {
      const mutes = await api.mutes(roomId);
      if (this.roomId === roomId) this.set(mutes.map((mute) => [mute.user.id, mute.until]));
    } catch {
      // Only a refused send will tell.
    }
  }

  set(entries) {
    this.muted = new Map(entries);
    this.explain();
  }

  isMuted(userId) {
    return this.muted.has(userId);
  }

  /** The server refused a change of ours: muted until `until`. */
  refused(until) {
    this.muted.set(this.hooks.meId(), until ?? null);
    this.explain();
  }

  /** The composer says why it is closed and until when, and opens again when the mute ends. */
  explain() {
    clearTimeout(this.timer);
    const me = this.hooks.meId();
    const mine = this.muted.has(me);
    const until = this.muted.get(me);
    const over = until && new Date(until).getTime() <= Date.now();
    if (over) this.muted.delete(me);
    const muted = mine && !over;
    this.banner.textContent = muted ? `You are muted in this room ${untilText(until)}: you can read, not write.` : "";
    show(this.banner, muted);
    this.parts.input.disabled = muted;
    for (const button of this.parts.form.querySelectorAll("button[type=submit], input[type=file]")) button.disabled = muted;
    if (muted && until) this.timer = setTimeout(() => this.explain(), Math.min(new Date(until).getTime() - Date.now() + 50, 2 ** 31 - 1));
  }

  /** The buttons a moderator gets on a message by someone else: a choice of durations, or unmute. */
  actions(senderId, senderName, choosing, choose) {
    if (!this.hooks.mayModerate() || senderId === undefined || senderId === this.hooks.meId()) return [];
    const button = (testid, text, onclick) => el("button", { type: "button", dataset: { testid }, text, onclick });
    if (this.isMuted(senderId)) return [button("unmute", "Unmute", () => this.unmute(senderId, senderName))];
    if (!choosing) return [button("mute", "Mute", () => choose(true))];
    return [el("span", { class: "mute-choices", role: "group", "aria-label": `Mute ${senderName} for`, dataset: { testid: "mute-choices" } },
      ...MUTE_CHOICES.map(([label, seconds]) => button(`mute-${seconds ?? "forever"}`, label, () => { choose(false); this.mute(senderId, senderName, seconds); })),
      button("mute-cancel", "Cancel", () => choose(false)))];
  }

  async mute(userId, name, seconds) {
    try {
      const answer = await api.mute(this.roomId, userId, seconds);
      this.muted.set(userId, answer.mute.until);
      this.hooks.notice(`${name} is muted ${answer.mute.until ? untilText(answer.mute.until) : "until unmuted"}.`);
    } catch (err) {
      this.hooks.notice(err.message);
    }
  }

  async unmute(userId, name) {
    try {
      await api.unmute(this.roomId, userId);
      this.muted.delete(userId);
      this.hooks.notice(`${name} may write again.`);
    } catch (err) {
      this.hooks.notice(err.message);
    }
  }
}
