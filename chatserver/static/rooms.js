// The sidebar: my rooms with unread counts, the room browser, and the new-room form.

import { api, ApiError } from "./api.js";
import { $, el, show } from "./dom.js";
import { kindBadge } from "./invites.js";

function lastMessageLine(last) {
  const who = last.sender?.first_name ? `${last.sender.first_name}: ` : "";
  return `${who}${last.content || "(attachment)"}`;
}

function membersLabel(count) {
  return count === 1 ? "1 member" : `${count ?? "?"} members`;
}

export class RoomList {
  /** hooks: { currentId() -> open room's id or undefined, open(room), notice(text) } */
  constructor(hooks) {
    this.hooks = hooks;
    this.rooms = [];
    $("browse-open").addEventListener("click", () => this.toggleBrowser());
    $("create-open").addEventListener("click", () => {
      const form = $("create-form");
      this.togglePanel(form, form.hidden);
      if (!form.hidden) form.querySelector("input").focus();
    });
    $("create-form").addEventListener("submit", (event) => this.create(event));
  }

  find(id) {
    return this.rooms.find((room) => room.id === id);
  }

  async refresh() {
    try {
      this.rooms = await api.myRooms();
    } catch {
      return;
    }
    this.render();
  }

  /** The open room counts as read: its messages are on screen. */
  unreadIn(room) {
    return this.hooks.currentId() === room.id ? 0 : room.unread_count || 0;
  }

  render() {
    const items = this.rooms.map((room) => {
      const unread = this.unreadIn(room);
      return el("li", {},
        el("button", { type: "button", class: "room-item", "aria-current": this.hooks.currentId() === room.id ? "true" : null,
          dataset: { testid: "room-item", roomId: String(room.id) }, onclick: () => this.hooks.open(room) },
        el("span", { class: "room-name", text: room.name }, kindBadge(room)),
        unread ? el("span", { class: "badge", "aria-label": `${unread} unread`, dataset: { testid: "unread-count" }, text: String(unread) }) : null,
        room.last_message ? el("span", { class: "room-last", text: lastMessageLine(room.last_message) }) : null));
    });
    $("my-rooms").replaceChildren(...items);
    show($("my-rooms-empty"), !items.length);
    const unread = this.rooms.reduce((sum, room) => sum + this.unreadIn(room), 0);
    document.title = unread ? `(${unread}) Chat` : "Chat";
  }

  togglePanel(panel, open) {
    for (const other of [$("browse-panel"), $("create-form")]) show(other, other === panel && open);
    for (const button of [$("browse-open"), $("create-open")]) {
      button.setAttribute("aria-expanded", String(button.getAttribute("aria-controls") === panel.id && open));
    }
  }

  async toggleBrowser() {
    const panel = $("browse-panel");
    this.togglePanel(panel, panel.hidden);
    if (panel.hidden) return;
    let rooms;
    try {
      rooms = await api.allRooms();
    } catch (err) {
      this.hooks.notice(err.message);
      return;
    }
    const items = rooms.map((room) => el("li", { class: "browse-item", dataset: { testid: "browse-item", roomId: String(room.id) } },
      el("span", { class: "room-name", text: room.name }, kindBadge(room)),
      el("span", { class: "hint", text: `${membersLabel(room.members_count)}${room.description ? ` - ${room.description}` : ""}` }),
      this.find(room.id)
        ? el("button", { type: "button", dataset: { testid: "open-room" }, text: "Open", onclick: () => this.hooks.open(room) })
        : el("button", { type: "button", dataset: { testid: "join-room" }, text: "Join", "aria-label": `Join ${room.name}`, onclick: () => this.join(room) })));
    $("all-rooms").replaceChildren(...(items.length ? items : [el("li", { class: "hint", text: "No rooms yet." })]));
  }

  async join(room) {
    try {
      await api.join(room.id);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 400)) return this.hooks.notice(err.message); // 400: already a member
    }
    this.togglePanel($("browse-panel"), false);
    await this.refresh();
    return this.hooks.open(this.find(room.id) || room);
  }

  async create(event) {
    event.preventDefault();
    const form = event.target;
    const { name, description, kind } = Object.fromEntries(new FormData(form));
    try {
      const answer = await api.createRoom(name.trim(), description.trim(), kind);
      form.reset();
      this.togglePanel(form, false);
      await this.refresh();
      this.hooks.open(answer.room);
    } catch (err) {
      form.querySelector(".form-error").textContent = err.message;
    }
  }
}
