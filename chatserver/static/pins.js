// The pins bar: a room's pinned messages above its history, kept live by message_pinned frames.

import { api } from "./api.js";
import { el, show } from "./dom.js";
import { snippet } from "./messages.js";

export class PinsBar {
  /** hooks: { nameOf(id, fallback), jump(messageId), unpin(messageId), mayPin() } */
  constructor(before, hooks) {
    this.hooks = hooks;
    this.pins = []; // { id, senderId, senderName, content, messageType, pinnedAt }, latest pin first
    this.node = el("div", { class: "pins-bar", role: "region", "aria-label": "Pinned messages", dataset: { testid: "pins-bar" } });
    this.node.hidden = true;
    before.before(this.node);
  }

  async load(roomId) {
    this.set([]);
    try {
      const pins = await api.pins(roomId);
      this.set(pins.map((item) => ({
        id: item.id, senderId: item.sender?.id, senderName: item.sender?.first_name, content: item.content,
        messageType: item.message_type, pinnedAt: item.pinned_at,
      })));
    } catch {
      // The bar stays empty; frames still fill it.
    }
  }

  /** A message_pinned frame: its message joins the bar or leaves it. */
  update(frame) {
    const rest = this.pins.filter((pin) => pin.id !== frame.id);
    if (!frame.is_pinned) return this.set(rest);
    return this.set([{ id: frame.id, senderId: frame.sender?.id, senderName: frame.sender?.name, content: frame.message,
      messageType: frame.message_type, pinnedAt: frame.pinned_at }, ...rest]);
  }

  /** A deleted message is no longer pinned. */
  remove(id) {
    if (this.pins.some((pin) => pin.id === id)) this.set(this.pins.filter((pin) => pin.id !== id));
  }

  has(id) {
    return this.pins.some((pin) => pin.id === id);
  }

  set(pins) {
    this.pins = pins;
    const items = pins.map((pin) => el("li", { class: "pin", dataset: { testid: "pin-item", messageId: String(pin.id) } },
      el("button", { type: "button", class: "link", onclick: () => this.hooks.jump(pin.id), dataset: { testid: "pin-jump" } },
        `${this.hooks.nameOf(pin.senderId, pin.senderName)}: ${snippet({ content: pin.content, messageType: pin.messageType })}`),
      this.hooks.mayPin() ? el("button", { type: "button", "aria-label": "Unpin", title: "Unpin", dataset: { testid: "pin-remove" },
        onclick: () => this.hooks.unpin(pin.id) }, "\u00D7") : null));
    this.node.replaceChildren(el("span", { class: "pins-title", text: `\u{1F4CC} Pinned (${pins.length})` }), el("ul", {}, ...items));
    show(this.node, pins.length > 0);
  }
}
