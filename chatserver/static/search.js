// Message search: the box ("/" focuses it), hits grouped by room, a click opens the room at the hit.

import { api } from "./api.js";
import { $, el, show } from "./dom.js";

/**
 * The snippet's text with each [start, end) highlight in a <mark>; all of it stays text. The
 * offsets count characters (code points, as the server counts them), not UTF-16 units.
 */
export function highlighted(snippet) {
  const chars = Array.from(snippet?.text || "");
  const parts = [];
  let at = 0;
  for (const [start, end] of snippet?.highlights || []) {
    if (start < at || end <= start || end > chars.length) continue;
    if (start > at) parts.push(chars.slice(at, start).join(""));
    parts.push(el("mark", { text: chars.slice(start, end).join("") }));
    at = end;
  }
  if (at < chars.length) parts.push(chars.slice(at).join(""));
  return parts;
}

/** Typing "/" outside any field moves the focus to the search box, as on many sites. */
function typingInField(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

export class SearchPanel {
  /** hooks: { openAt(room, messageId) } where room is the hit's {id, name, kind} */
  constructor(hooks) {
    this.hooks = hooks;
    this.query = "";
    this.nextBefore = null;
    this.form = $("search-form");
    this.input = $("search-input");
    this.panel = $("search-results");
    this.list = $("search-hits");
    this.status = $("search-status");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.run(this.input.value.trim());
    });
    this.input.addEventListener("keydown", (event) => event.key === "Escape" && this.close());
    $("search-close").addEventListener("click", () => this.close());
    $("search-more").addEventListener("click", () => this.more());
    document.addEventListener("keydown", (event) => {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || typingInField(event.target)) return;
      event.preventDefault();
      this.input.focus();
      this.input.select();
    });
  }

  close() {
    this.query = "";
    this.list.replaceChildren();
    show(this.panel, false);
  }

  async run(query) {
    this.query = query;
    this.list.replaceChildren();
    this.nextBefore = null;
    show(this.panel, true);
    if (!query) return this.say("Type what to look for.");
    return this.fetch();
  }

  more() {
    if (this.query && this.nextBefore) this.fetch();
  }

  async fetch() {
    const query = this.query;
    this.say("Searching...");
    show($("search-more"), false);
    let answer;
    try {
      answer = await api.search(query, { before: this.nextBefore });
    } catch (err) {
      if (query === this.query) this.say(err.message);
      return;
    }
    if (query !== this.query) return;
    this.nextBefore = answer.next_before ?? null;
    for (const hit of answer.results) this.add(hit);
    const count = this.list.querySelectorAll("[data-testid=search-hit]").length;
    this.say(count ? `${count} message${count === 1 ? "" : "s"} found` : "No messages found.");
    show($("search-more"), Boolean(this.nextBefore));
  }

  /** Hits come newest first; each goes under its room's heading, made when the room first appears. */
  add(hit) {
    let group = this.list.querySelector(`li[data-room-id="${Number(hit.room.id)}"] > ul`);
    if (!group) {
      group = el("ul", { class: "search-group-hits" });
      this.list.append(el("li", { class: "search-group", dataset: { testid: "search-group", roomId: String(hit.room.id) } },
        el("h3", { dataset: { testid: "search-group-name" }, text: hit.room.name }), group));
    }
    const sender = hit.message.sender || {};
    const name = [sender.first_name, sender.last_name].filter(Boolean).join(" ");
    const when = new Date(hit.message.created_at);
    group.append(el("li", {},
      el("button", { type: "button", class: "search-hit", dataset: { testid: "search-hit", messageId: String(hit.message.id) },
        onclick: () => this.hooks.openAt(hit.room, hit.message.id) },
      el("span", { class: "sender", text: name || "Someone" }),
      el("time", { datetime: hit.message.created_at, text: Number.isNaN(when.getTime()) ? "" : when.toLocaleDateString() }),
      el("span", { class: "snippet", dataset: { testid: "search-snippet" } }, ...highlighted(hit.snippet)))));
  }

  say(text) {
    this.status.textContent = text;
  }
}
