// The open room's messages: one model per message id, merged from history and live frames.

import { el, safeUrl } from "./dom.js";
import { limits } from "./limits.js";

/** How each reaction the server knows is drawn; the server's list (limits.reactions) says which exist. */
const EMOJI = {
  Like: "\u{1F44D}", Cool: "\u{1F60E}", HaHa: "\u{1F602}", Heart: "\u{2764}\u{FE0F}",
  Anger: "\u{1F620}", Smile: "\u{1F642}", Sad: "\u{1F622}",
};

/** A message as the history endpoint returns it (`parent_message` is the quoted message, or null). */
export function fromHistory(item) {
  const sender = item.sender || {};
  const quoted = item.parent_message && typeof item.parent_message === "object" ? item.parent_message : null;
  return {
    id: item.id,
    senderId: sender.id,
    senderName: [sender.first_name, sender.last_name].filter(Boolean).join(" "),
    content: item.content || "",
    messageType: item.message_type || "text",
    attachment: item.attachment,
    createdAt: item.created_at,
    parent: item.parent_message_id ?? quoted?.id ?? null,
    quoted,
    mentions: item.mentions || [],
    reactions: item.reactions || {},
    isDeleted: Boolean(item.is_deleted),
    isEdited: Boolean(item.is_edited),
  };
}

/** A frame about a message (new, edited, reacted or deleted: all carry its state), read as its history item. */
export function fromFrame(frame) {
  const sender = frame.sender || {};
  const item = { ...frame, content: frame.message, sender: { id: sender.id, first_name: sender.name } };
  return { ...fromHistory(item), clientId: frame.client_id, deletedBy: frame.deleted_by };
}

/** What an edited, reacted or deleted frame says of its message now, to replace it by id. */
export function stateOf(frame) {
  const { isEdited, isDeleted, clientId, ...state } = fromFrame(frame);
  if (frame.action === "edited") state.isEdited = true;
  if (frame.action === "deleted") state.isDeleted = true;
  return state;
}

function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const sameDay = date.toDateString() === new Date().toDateString();
  const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return sameDay ? time : `${date.toLocaleDateString()} ${time}`;
}

export function snippet(message) {
  if (message.isDeleted) return "deleted message";
  if (message.content) return message.content.length > 80 ? `${message.content.slice(0, 80)}...` : message.content;
  return message.messageType === "image" ? "an image" : "a file";
}

export class MessageList {
  /**
   * view: { meId(), nameOf(senderId, fallback), memberNames(ids), mayModerate(), isPinned(id)?,
   *         moreActions(message, mine)? },
   * onAction(action, id, value) for "reply", "react", "edit", "delete".
   */
  constructor(listEl, view, onAction) {
    this.listEl = listEl;
    this.view = view;
    this.onAction = onAction;
    this.clear();
  }

  clear() {
    this.byId = new Map();
    this.pendingByClientId = new Map();
    this.queued = new Map(); // message id -> changes to it waiting for the socket ("edit", "reaction", ...)
    this.editingId = null;
    this.confirmingDeleteId = null;
    this.paletteId = null;
    this.highlightId = null; // the message a search hit opened the room at
    this.listEl.replaceChildren();
  }

  get(id) {
    return this.byId.get(id);
  }

  oldestId() {
    let oldest = null;
    for (const id of this.byId.keys()) if (oldest === null || id < oldest) oldest = id;
    return oldest;
  }

  /**
   * Adds messages (any order). A known message is replaced only by a history snapshot
   * (`snapshot`); a live creation frame carries nothing newer than what is shown.
   */
  merge(messages, { snapshot = true } = {}) {
    const added = new Set();
    for (const message of messages) {
      if (message.clientId) this.dropPending(message.clientId);
      const known = this.byId.get(message.id);
      if (known && snapshot) {
        known.model = message;
        this.rerender(message.id);
      } else if (!known) {
        added.add(message.id);
        const entry = { model: message, el: this.render(message) };
        this.byId.set(message.id, entry);
        this.insert(entry);
      }
    }
    this.rerenderRepliesTo(added);
  }

  /** Quotes show their parent: redraw replies when a parent arrives or changes. */
  rerenderRepliesTo(parentIds) {
    if (!parentIds.size) return;
    for (const [id, entry] of this.byId) if (parentIds.has(entry.model.parent)) this.rerender(id);
  }

  /** Keeps the list in id order, pending bubbles last; a live message simply goes at the end. */
  insert(entry) {
    const id = entry.model.id;
    const firstPending = this.listEl.querySelector("li[data-pending]");
    const newest = firstPending ? firstPending.previousElementSibling : this.listEl.lastElementChild;
    let before = firstPending;
    if (newest && Number(newest.dataset.messageId) > id) {
      const nodes = this.listEl.querySelectorAll("li[data-message-id]");
      before = Array.from(nodes).find((node) => Number(node.dataset.messageId) > id);
    }
    this.listEl.insertBefore(entry.el, before);
  }

  /** Shows a message the server has not confirmed yet, until its echo with the same client_id. */
  addPending(clientId, content) {
    const node = el("li", { class: "message mine pending", "data-pending": "true", dataset: { testid: "message" } },
      el("div", { class: "meta" }, el("span", { class: "sender", text: "You" }), el("span", { class: "status", text: "sending..." })),
      el("p", { class: "content", dataset: { testid: "message-content" }, text: content }));
    this.pendingByClientId.set(clientId, { el: node });
    this.listEl.append(node);
  }

  /** Marks a message as having a change (an edit, a reaction...) that waits for the socket. */
  queue(id, what) {
    this.queued.set(id, [...(this.queued.get(id) || []), what]);
    this.rerender(id);
  }

  /** The queued changes to these messages have been sent. */
  unqueue(ids) {
    for (const id of new Set(ids)) if (this.queued.delete(id)) this.rerender(id);
  }

  /** Drops a pending bubble whose send the server refused. */
  dropPending(clientId) {
    this.pendingByClientId.get(clientId)?.el.remove();
    this.pendingByClientId.delete(clientId);
  }

  update(id, changes) {
    const entry = this.byId.get(id);
    if (!entry) return;
    Object.assign(entry.model, changes);
    this.rerender(id);
    this.rerenderRepliesTo(new Set([id]));
  }

  /** What the viewer may do changed (they became a moderator, or stopped being one). */
  rerenderAll() {
    for (const id of this.byId.keys()) this.rerender(id);
  }

  rerender(id) {
    const entry = this.byId.get(id);
    if (!entry) return;
    const node = this.render(entry.model);
    entry.el.replaceWith(node);
    entry.el = node;
  }

  setMode(key, id) {
    const previous = this[key];
    this[key] = id;
    if (previous !== null && previous !== id) this.rerender(previous);
    if (id !== null) this.rerender(id);
  }

  startEdit(id) {
    this.setMode("editingId", id);
    this.byId.get(id)?.el.querySelector("textarea")?.focus();
  }

  render(m) {
    const mine = m.senderId === this.view.meId();
    const classes = ["message", mine ? "mine" : "", m.isDeleted ? "deleted" : "",
      m.mentions.includes(this.view.meId()) ? "mentions-me" : "", this.highlightId === m.id ? "highlighted" : ""].filter(Boolean).join(" ");
    return el("li", { class: classes, id: `message-${m.id}`, dataset: { testid: "message", messageId: String(m.id) }, "data-deleted": m.isDeleted ? "true" : null,
      "data-highlighted": this.highlightId === m.id ? "true" : null },
      el("div", { class: "meta" },
        el("span", { class: "sender", dataset: { testid: "message-sender" }, text: this.view.nameOf(m.senderId, m.senderName) }),
        el("time", { datetime: m.createdAt, title: m.createdAt, text: formatTime(m.createdAt) }),
        m.isEdited && !m.isDeleted ? el("span", { class: "edited", dataset: { testid: "message-edited" }, text: "(edited)" }) : null,
        this.queued.has(m.id) ? el("span", { class: "status", dataset: { testid: "message-queued" }, text: `(${this.queued.get(m.id).join(", ")} not sent yet)` }) : null,
        this.view.isPinned?.(m.id) && !m.isDeleted ? el("span", { class: "pinned", dataset: { testid: "message-pinned" }, text: "\u{1F4CC} pinned" }) : null),
      this.renderQuote(m),
      this.editingId === m.id ? this.renderEditForm(m) : this.renderBody(m),
      m.isDeleted ? null : this.renderReactions(m),
      m.isDeleted || this.editingId === m.id ? null : this.renderActions(m, mine));
  }

  renderQuote(m) {
    if (!m.parent) return null;
    const parent = this.byId.get(m.parent)?.model;
    const quoted = m.quoted;
    let text = "an earlier message";
    if (parent) text = `${this.view.nameOf(parent.senderId, parent.senderName)}: ${snippet(parent)}`;
    else if (quoted) text = `${this.view.nameOf(quoted.sender?.id, quoted.sender?.name)}: ${quoted.content ? snippet({ content: quoted.content }) : "a message"}`;
    const jump = () => this.byId.get(m.parent)?.el.scrollIntoView({ block: "center", behavior: "smooth" });
    return el("button", { type: "button", class: "quote", onclick: jump, dataset: { testid: "message-quote" } },
      el("span", { class: "visually-hidden", text: "In reply to " }), text);
  }

  renderBody(m) {
    if (m.isDeleted) {
      const by = m.deletedBy && m.deletedBy.id !== m.senderId ? ` by ${this.view.nameOf(m.deletedBy.id, m.deletedBy.name)}` : "";
      return el("p", { class: "content", dataset: { testid: "message-content" }, text: `This message was deleted${by}.` });
    }
    const parts = [];
    const url = safeUrl(m.attachment);
    if (url && m.messageType === "image") {
      parts.push(el("a", { href: url, target: "_blank", rel: "noopener" },
        el("img", { src: url, alt: m.content || "Image", loading: "lazy", dataset: { testid: "message-image" } })));
    } else if (url) {
      const name = decodeURIComponent(url.split("/").pop() || "file");
      parts.push(el("a", { class: "file", href: url, target: "_blank", rel: "noopener", download: true, dataset: { testid: "message-file" } }, `\u{1F4C4} ${name}`));
    }
    if (m.content) parts.push(el("p", { class: "content", dataset: { testid: "message-content" } }, ...this.highlightMentions(m)));
    return el("div", { class: "body" }, ...parts);
  }

  /** Wraps `@Name` of each mentioned member in a span; everything stays text. */
  highlightMentions(m) {
    const names = this.view.memberNames(m.mentions);
    if (!names.length) return [m.content];
    const escaped = names.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    const pattern = new RegExp(`(@(?:${escaped.join("|")}))`, "g");
    return m.content.split(pattern).map((part, i) => (i % 2 ? el("span", { class: "mention", text: part }) : part));
  }

  renderEditForm(m) {
    const input = el("textarea", { "aria-label": "Edit message", maxlength: String(limits.max_message_length), dataset: { testid: "edit-input" } });
    input.value = m.content;
    const submit = (event) => {
      event.preventDefault();
      const value = input.value.trim();
      if (value && value !== m.content) this.onAction("edit", m.id, value);
      this.setMode("editingId", null);
    };
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) submit(event);
      if (event.key === "Escape") this.setMode("editingId", null);
    });
    return el("form", { class: "edit-form", onsubmit: submit }, input,
      el("button", { type: "submit", dataset: { testid: "edit-save" }, text: "Save" }),
      el("button", { type: "button", dataset: { testid: "edit-cancel" }, text: "Cancel", onclick: () => this.setMode("editingId", null) }));
  }

  renderReactions(m) {
    const chips = Object.entries(m.reactions || {}).filter(([, count]) => count > 0).map(([name, count]) =>
      el("button", { type: "button", class: "chip", title: name, "aria-label": `${name}: ${count}. Toggle your ${name}`,
        dataset: { testid: `reaction-${name}`, count: String(count) }, onclick: () => this.onAction("react", m.id, name) },
      `${EMOJI[name] || name} ${count}`));
    const palette = this.paletteId === m.id
      ? el("div", { class: "palette", role: "group", "aria-label": "Pick a reaction", dataset: { testid: "reaction-palette" },
        onkeydown: (event) => event.key === "Escape" && this.setMode("paletteId", null) },
        ...limits.reactions.map((name) => el("button", {
          type: "button", dataset: { testid: `react-${name}` },
          onclick: () => { this.setMode("paletteId", null); this.onAction("react", m.id, name); },
        }, el("span", { "aria-hidden": "true", text: EMOJI[name] || "" }), ` ${name}`)))
      : null;
    return el("div", { class: "reactions", dataset: { testid: "reactions" } }, ...chips, palette);
  }

  renderActions(m, mine) {
    const button = (testid, text, onclick) => el("button", { type: "button", dataset: { testid }, text, onclick });
    if (this.confirmingDeleteId === m.id) {
      return el("div", { class: "actions confirm" }, el("span", { text: "Delete this message?" }),
        button("delete-confirm", "Delete", () => { this.setMode("confirmingDeleteId", null); this.onAction("delete", m.id); }),
        button("delete-cancel", "Keep", () => this.setMode("confirmingDeleteId", null)));
    }
    return el("div", { class: "actions" },
      button("reply", "Reply", () => this.onAction("reply", m.id)),
      button("react", "React", () => this.setMode("paletteId", this.paletteId === m.id ? null : m.id)),
      mine && m.messageType === "text" ? button("edit", "Edit", () => this.startEdit(m.id)) : null,
      mine || this.view.mayModerate() ? button("delete", "Delete", () => this.setMode("confirmingDeleteId", m.id)) : null,
      ...(this.view.moreActions?.(m, mine) ?? []));
  }
}
