// The message box: Enter to send, an @ picker of room members, reply bar, typing signals, uploads.

import { el, show } from "./dom.js";
import { limits } from "./limits.js";

const TYPING_REFRESH_MS = 3000;
const TYPING_IDLE_MS = 4000;
const PICKER_SIZE = 8;

export class Composer {
  /**
   * parts: { form, input, picker, replyBar, replyText, replyCancel, fileInput, error };
   * hooks: { members() -> [{id, first_name, last_name}], meId(), onSend(text, mentionIds, parentId),
   *          onTyping(isTyping), onUpload(file, parentId) }
   */
  constructor(parts, hooks) {
    Object.assign(this, parts);
    this.hooks = hooks;
    this.mentions = new Map(); // user id -> "@FirstName" picked in this draft (namesakes stay apart)
    this.options = [];
    this.active = 0;
    this.replyTo = null;
    this.typingSentAt = 0;
    this.idleTimer = null;

    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.send(); });
    this.input.addEventListener("keydown", (event) => this.keydown(event));
    this.input.addEventListener("input", () => { this.typed(); this.updatePicker(); this.fit(); });
    this.input.addEventListener("paste", (event) => this.takeFiles(event, event.clipboardData));
    this.form.addEventListener("dragover", (event) => event.preventDefault());
    this.form.addEventListener("drop", (event) => this.takeFiles(event, event.dataTransfer));
    this.input.addEventListener("click", () => this.updatePicker());
    this.input.addEventListener("blur", () => { this.stopTyping(); setTimeout(() => this.closePicker(), 150); });
    this.replyCancel.addEventListener("click", () => this.setReply(null));
    this.fileInput.addEventListener("change", () => {
      const file = this.fileInput.files[0];
      this.fileInput.value = "";
      if (file) this.upload(file);
    });
  }

  /** The server's limits apply from now on: the box takes no more than a message may hold. */
  applyLimits() {
    this.input.maxLength = limits.max_message_length;
  }

  upload(file) {
    if (file.size > limits.max_upload_bytes) {
      this.showError(`${file.name} is too large: at most ${size(limits.max_upload_bytes)}.`);
      return;
    }
    this.hooks.onUpload(file, this.replyTo?.id ?? null);
    this.setReply(null);
  }

  /** A file pasted into or dropped onto the composer is uploaded like a picked one. */
  takeFiles(event, transfer) {
    const file = transfer?.files?.[0];
    if (!file) return;
    event.preventDefault();
    this.upload(file);
  }

  /** Grows the box with its text, up to the CSS max-height. */
  fit() {
    this.input.style.height = "auto";
    this.input.style.height = `${this.input.scrollHeight + 2}px`;
  }

  reset() {
    this.input.value = "";
    this.mentions.clear();
    this.setReply(null);
    this.closePicker();
    this.showError("");
    this.stopTyping();
  }

  showError(text) {
    this.error.textContent = text;
  }

  /** reply: {id, label} of the message answered, or null. */
  setReply(reply) {
    this.replyTo = reply;
    this.replyText.textContent = reply ? `Replying to ${reply.label}` : "";
    show(this.replyBar, Boolean(reply));
    if (reply) this.input.focus();
  }

  send() {
    const text = this.input.value.trim();
    if (!text) return;
    const ids = [...this.mentions].filter(([, label]) => text.includes(label)).map(([id]) => id);
    if (ids.length > limits.max_mentions) {
      this.showError(`At most ${limits.max_mentions} mentions in one message.`);
      return;
    }
    this.showError("");
    this.stopTyping();
    this.hooks.onSend(text, ids, this.replyTo?.id ?? null);
    this.input.value = "";
    this.fit();
    this.mentions.clear();
    this.setReply(null);
    this.closePicker();
  }

  keydown(event) {
    if (!this.picker.hidden && this.options.length) {
      const moves = { ArrowDown: 1, ArrowUp: -1 };
      if (event.key in moves) {
        event.preventDefault();
        this.active = (this.active + moves[event.key] + this.options.length) % this.options.length;
        this.renderPicker();
        return;
      }
      if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        this.pick(this.options[this.active]);
        return;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        this.closePicker();
        return;
      }
    }
    if (event.key === "Escape" && this.replyTo) {
      event.preventDefault();
      this.setReply(null);
      return;
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.send();
    }
  }

  typed() {
    const now = Date.now();
    if (now - this.typingSentAt > TYPING_REFRESH_MS) {
      this.typingSentAt = now;
      this.hooks.onTyping(true);
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping() {
    clearTimeout(this.idleTimer);
    if (this.typingSentAt) {
      this.typingSentAt = 0;
      this.hooks.onTyping(false);
    }
  }

  /** The `@word` being typed just before the caret, or null. */
  mentionQuery() {
    const before = this.input.value.slice(0, this.input.selectionStart);
    const match = /(?:^|\s)@([^\s@]*)$/.exec(before);
    return match ? match[1] : null;
  }

  updatePicker() {
    const query = this.mentionQuery();
    if (query === null) return this.closePicker();
    const needle = query.toLowerCase();
    this.options = this.hooks.members()
      .filter((member) => member.id !== this.hooks.meId())
      .filter((member) => `${member.first_name} ${member.last_name || ""}`.toLowerCase().includes(needle))
      .slice(0, PICKER_SIZE);
    this.active = Math.min(this.active, Math.max(0, this.options.length - 1));
    this.renderPicker();
  }

  renderPicker() {
    const items = this.options.map((member, i) => el("li", {
      role: "option", id: `mention-option-${member.id}`, "aria-selected": i === this.active ? "true" : "false",
      class: i === this.active ? "active" : "", dataset: { testid: "mention-option", userId: String(member.id) },
      onmousedown: (event) => { event.preventDefault(); this.pick(member); },
    }, [member.first_name, member.last_name].filter(Boolean).join(" ")));
    if (!items.length) items.push(el("li", { class: "empty", text: "No member matches" }));
    this.picker.replaceChildren(...items);
    show(this.picker, true);
    this.input.setAttribute("aria-expanded", "true");
    const active = this.options[this.active];
    if (active) this.input.setAttribute("aria-activedescendant", `mention-option-${active.id}`);
  }

  closePicker() {
    this.options = [];
    this.active = 0;
    show(this.picker, false);
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }

  /** Replaces the `@query` before the caret with `@FirstName ` and remembers who it names. */
  pick(member) {
    const caret = this.input.selectionStart;
    const before = this.input.value.slice(0, caret).replace(/@[^\s@]*$/, "");
    const label = `@${member.first_name}`;
    this.input.value = `${before}${label} ${this.input.value.slice(caret)}`;
    const position = before.length + label.length + 1;
    this.input.setSelectionRange(position, position);
    this.mentions.set(member.id, label);
    this.closePicker();
    this.input.focus();
  }
}

/** "10 MB", "1.5 KB", "40 bytes". */
function size(bytes) {
  if (bytes >= 1048576) return `${+(bytes / 1048576).toFixed(1)} MB`;
  return bytes >= 1024 ? `${+(bytes / 1024).toFixed(1)} KB` : `${bytes} bytes`;
}
