// The open room: history, the live socket, sending, and everything shown on the right.

import { api, ApiError, token } from "./api.js";
import { Composer } from "./composer.js";
import { $, el, show } from "./dom.js";
import { MessageList, fromFrame, fromHistory, snippet, stateOf } from "./messages.js";
import { Moderation } from "./moderation.js";
import { Mutes } from "./mutes.js";
import { PinsBar } from "./pins.js";
import { RoomSocket, newClientId } from "./socket.js";
import { TypingIndicator } from "./typing.js";

const PAGE_SIZE = 50;
const STATUS_TEXT = { connecting: "Connecting...", live: "Connected", reconnecting: "Reconnecting..." };
const QUEUED_TEXT = { edit: "edit", delete: "deletion", react: "reaction" };

export class RoomView {
  /** hooks: { me() -> user, roomsChanged(), opened(room), message(member): open a direct room, tokenRevoked() } */
  constructor(hooks) {
    this.hooks = hooks;
    this.room = null;
    this.members = new Map(); // user id -> member of the open room
    this.membersLoading = null; // the room whose member list is being fetched again
    this.socket = null;
    this.olderExhausted = true;
    this.detached = false; // showing a stretch of older history, apart from the newest messages
    this.loadingOlder = false;
    this.markReadTimer = null;
    this.scroller = $("messages-scroll");
    this.messages = new MessageList($("messages"), {
      meId: () => this.hooks.me()?.id,
      nameOf: (id, fallback) => this.nameOf(id, fallback),
      memberNames: (ids) => ids.map((id) => this.members.get(id)?.first_name).filter(Boolean),
      mayModerate: () => Boolean(this.moderation?.mayModerate()),
      isPinned: (id) => this.pins.has(id),
      moreActions: (message) => this.pinAndMute(message),
    }, (action, id, value) => this.messageAction(action, id, value));
    this.mutingId = null; // the message whose sender a moderator is choosing a mute for
    this.pins = new PinsBar(this.scroller, {
      nameOf: (id, fallback) => this.nameOf(id, fallback),
      jump: (id) => this.messages.get(id)?.el.scrollIntoView({ block: "center", behavior: "smooth" }),
      unpin: (id) => this.pin(id, false),
      mayPin: () => this.mayPin(),
    });
    this.typing = new TypingIndicator($("typing"));
    this.composer = new Composer({
      form: $("composer"), input: $("message-input"), picker: $("mention-picker"), replyBar: $("reply-bar"),
      replyText: $("reply-text"), replyCancel: $("reply-cancel"), fileInput: $("attachment"), error: $("composer-error"),
    }, {
      members: () => [...this.members.values()],
      meId: () => this.hooks.me()?.id,
      onSend: (text, mentions, parent) => this.send(text, mentions, parent),
      onTyping: (isTyping) => this.socket?.send({ action: isTyping ? "typing" : "stop_typing" }),
      onUpload: (file, parent) => this.upload(file, parent),
    });
    this.moderation = new Moderation({ me: () => this.hooks.me(), room: () => this.room, members: () => this.members,
      reloadMembers: () => this.refreshMembers(), powersChanged: () => this.messages.rerenderAll(),
      message: (member) => this.hooks.message(member) });
    this.mutes = new Mutes({ form: $("composer"), input: $("message-input") }, {
      meId: () => this.hooks.me()?.id,
      mayModerate: () => this.mayModerate(),
      notice: (text) => { this.notice(text); this.messages.rerenderAll(); },
    });
    $("load-older").addEventListener("click", () => this.loadOlder());
    $("jump-newest").addEventListener("click", () => this.room && this.open(this.room));
    $("leave-room").addEventListener("click", () => this.leave());
    this.scroller.addEventListener("scroll", () => this.scroller.scrollTop < 40 && this.loadOlder());
    document.addEventListener("visibilitychange", () => this.markRead());
  }

  nameOf(id, fallback) {
    const member = this.members.get(id);
    return member ? [member.first_name, member.last_name].filter(Boolean).join(" ") : fallback || "Someone";
  }

  notice(text) {
    $("notice").textContent = text || "";
    show($("notice"), Boolean(text));
  }

  close() {
    this.socket?.stop();
    this.socket = null;
    this.room = null;
    this.messages.clear();
    this.typing.clear();
    this.composer.reset();
    this.pins.set([]);
    this.mutes.set([]);
    this.moderation.close();
    this.detached = false;
    for (const id of ["composer", "leave-room", "load-older", "block-toggle", "jump-newest"]) show($(id), false);
    $("room-title").textContent = "Pick a room";
    $("room-description").textContent = "";
    $("connection").textContent = "";
    this.notice("");
  }

  /**
   * Members and the room's last seq first, then history, then the socket from that seq: no gap.
   * With `around` (a message id, from a search hit) history is the page centred on it, highlighted.
   */
  async open(room, { around } = {}) {
    this.close();
    this.room = room;
    history.replaceState(null, "", `#room/${room.id}`);
    $("room-title").textContent = room.name;
    $("room-description").textContent = room.description || "";
    this.hooks.opened(room);
    try {
      const [members, lastSeq] = await Promise.all([api.members(room.id), api.lastSeq(room.id).catch(() => null)]);
      if (this.room !== room) return;
      this.members = new Map(members.map((member) => [member.id, member]));
      await Promise.all([this.pins.load(room.id), this.mutes.load(room.id)]);
      const { page, oldest, detached } = await this.firstPage(room, around);
      if (this.room !== room) return;
      this.messages.highlightId = detached !== null ? around : null;
      this.messages.merge(page.map(fromHistory));
      this.setOlderExhausted(oldest.length < PAGE_SIZE);
      this.detached = Boolean(detached);
      show($("jump-newest"), this.detached);
      const target = this.messages.get(this.messages.highlightId)?.el;
      if (target) target.scrollIntoView({ block: "center" });
      else this.scrollToBottom();
      this.connect(room, lastSeq);
    } catch (err) {
      this.notice(err.message);
      return;
    }
    show($("composer"), true);
    show($("leave-room"), room.kind !== "direct");
    this.moderation.render();
    $("message-input").focus();
    this.markRead();
  }

  /**
   * The newest page and, with `around`, the page centred on that message: joined when they meet,
   * else only the latter (detached: null when there is no such page, e.g. the message was deleted).
   */
  async firstPage(room, around) {
    const [latest, centred] = await Promise.all([
      api.history(room.id, { limit: PAGE_SIZE }),
      around ? api.historyAround(room.id, around, PAGE_SIZE).catch((err) => err) : null,
    ]);
    if (centred instanceof Error) {
      if (centred.status !== 404) throw centred;
      this.notice(centred.message);
    }
    if (!Array.isArray(centred) || !centred.length) return { page: latest, oldest: latest, detached: null };
    const joined = !latest.length || centred[0].id >= latest[latest.length - 1].id;
    return { page: joined ? [...latest, ...centred] : centred, oldest: centred, detached: !joined };
  }

  connect(room, lastSeq) {
    this.socket = new RoomSocket(room.id, token.get(), lastSeq, {
      onFrame: (frame) => this.room === room && this.handleFrame(frame),
      onStatus: (status, failures) => {
        if (status === "reconnecting" && failures % 3 === 2) this.checkAccess(room);
        $("connection").textContent = STATUS_TEXT[status];
        $("connection").dataset.state = status;
        if (status === "live") this.composer.showError("");
      },
      onResync: () => this.reloadLatest(room),
      onFlushed: (frames) => this.room === room && this.messages.unqueue(frames.map((frame) => frame.message_id)),
      onEnd: (code, reason) => {
        if (code === 4001) return this.hooks.tokenRevoked();
        this.notice(reason);
        show($("composer"), false);
        return this.hooks.roomsChanged();
      },
    });
    this.socket.start();
  }

  /**
   * A refused handshake reaches the page only as a dropped socket, so now and then ask REST
   * whether the membership and the room still hold (a 401 logs out by itself).
   */
  async checkAccess(room) {
    try {
      await api.members(room.id);
    } catch (err) {
      if (this.room !== room || !(err instanceof ApiError) || ![403, 404].includes(err.status)) return;
      this.close();
      this.notice(err.status === 403 ? "You are no longer a member of that room." : "That room no longer exists.");
      this.hooks.roomsChanged();
    }
  }

  /** After a gap the server cannot replay: fetch the newest page again and merge it. */
  async reloadLatest(room) {
    if (this.detached) return;
    try {
      const page = await api.history(room.id, { limit: PAGE_SIZE });
      if (this.room === room) this.messages.merge(page.map(fromHistory));
    } catch {
      // The next reconnect tries again.
    }
  }

  async leave() {
    try {
      await api.leave(this.room.id);
    } catch (err) {
      this.notice(err.message);
      return;
    }
    this.close();
    this.hooks.roomsChanged();
  }

  handleFrame(frame) {
    const { messages } = this;
    switch (frame.action ?? "send_message") {
      case "send_message":
        return this.receive(frame);
      case "deleted":
        this.pins.remove(frame.id);
      // falls through: a deleted frame carries the message's state too
      case "edited":
      case "reacted":
        return messages.update(frame.id, stateOf(frame));
      case "typing":
        if (frame.sender?.id !== this.hooks.me().id) this.typing.set(frame.sender, frame.is_typing);
        return undefined;
      case "message_pinned":
        this.pins.update(frame);
        return messages.rerender(frame.id);
      case "error":
        if (frame.code === "muted") this.mutes.refused(frame.until);
        if (frame.client_id) messages.dropPending(frame.client_id);
        return this.composer.showError(frame.error || "The server refused that.");
      default:
        return undefined;
    }
  }

  receive(frame) {
    const atBottom = this.isNearBottom();
    const message = fromFrame(frame);
    const mine = message.senderId === this.hooks.me().id;
    if (message.senderId !== undefined && !this.members.has(message.senderId)) this.refreshMembers();
    this.typing.set(frame.sender, false);
    if (this.detached && !mine) return; // "Jump to the newest messages" shows it, without a gap before it
    if (this.detached) return this.open(this.room);
    this.messages.merge([message], { snapshot: false });
    if (atBottom || mine) this.scrollToBottom();
    if (!mine) {
      $("announce").textContent = `${this.nameOf(message.senderId, message.senderName)}: ${snippet(message)}`;
      this.markRead();
    }
  }

  /** Fetches the member list again, one request at a time however many frames ask for it. */
  async refreshMembers() {
    const room = this.room;
    if (this.membersLoading === room) return;
    this.membersLoading = room;
    try {
      const members = await api.members(room.id);
      if (this.room === room) this.members = new Map(members.map((member) => [member.id, member]));
      this.moderation.render();
    } catch {
      // Names fall back to what the frame carries.
    } finally {
      if (this.membersLoading === room) this.membersLoading = null;
    }
  }

  markRead() {
    clearTimeout(this.markReadTimer);
    const room = this.room;
    if (!room) return;
    this.markReadTimer = setTimeout(() => {
      if (this.room === room && document.visibilityState === "visible") api.markRead(room.id).catch(() => {});
    }, 500);
  }

  send(text, mentions, parent) {
    const frame = { action: "send_message", message: text, client_id: newClientId() };
    if (mentions.length) frame.mentions = mentions;
    if (parent) frame.parent_message = parent;
    this.composer.showError("");
    this.messages.addPending(frame.client_id, text);
    this.scrollToBottom();
    if (!this.socket.send(frame)) this.composer.showError("Offline: the message will be sent when the connection is back.");
  }

  async upload(file, parent) {
    const room = this.room;
    this.composer.showError(`Uploading ${file.name}...`);
    try {
      const message = await api.upload(room.id, file, { parentMessage: parent });
      this.composer.showError("");
      if (this.room === room) this.messages.merge([fromHistory(message)]);
      this.scrollToBottom();
    } catch (err) {
      this.composer.showError(err.status === 413 ? `${file.name} is too large.` : err.message);
    }
  }

  messageAction(action, id, value) {
    const message = this.messages.get(id)?.model;
    if (!message) return;
    const frames = {
      react: { action: "react_message", message_id: id, reaction: value },
      edit: { action: "edit_message", message_id: id, new_content: value },
      delete: { action: "delete_message", message_id: id },
    };
    if (action === "reply") {
      this.composer.setReply({ id, label: `${this.nameOf(message.senderId, message.senderName)}: ${snippet(message)}` });
    } else if (frames[action] && !this.socket.send(frames[action])) {
      this.messages.queue(id, QUEUED_TEXT[action]);
      this.composer.showError("Offline: your change will be sent when the connection is back.");
    }
  }

  /** The owner, the room's moderators and site admins moderate it. */
  mayModerate() {
    return Boolean(this.moderation?.mayModerate());
  }

  mayPin() {
    return (this.mayModerate() || Boolean(this.room?.members_may_pin)) && !this.mutes.isMuted(this.hooks.me()?.id);
  }

  /** Pin and mute buttons on a message, for whoever may use them. */
  pinAndMute(m) {
    const pinned = this.pins.has(m.id);
    const pin = this.mayPin() ? [el("button", { type: "button", dataset: { testid: pinned ? "unpin" : "pin" },
      text: pinned ? "Unpin" : "Pin", onclick: () => this.pin(m.id, !pinned) })] : [];
    return [...pin, ...this.mutes.actions(m.senderId, this.nameOf(m.senderId, m.senderName), this.mutingId === m.id, (open) => {
      const previous = this.mutingId;
      this.mutingId = open ? m.id : null;
      if (previous !== null) this.messages.rerender(previous);
      this.messages.rerender(m.id);
    })];
  }

  pin(id, pin) {
    if (!this.socket?.send({ action: "pin_message", message_id: id, pin })) this.composer.showError("Offline: try again when the connection is back.");
  }

  isNearBottom() {
    return this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 80;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  setOlderExhausted(exhausted) {
    this.olderExhausted = exhausted;
    show($("load-older"), !exhausted);
  }

  /** The page before the oldest message shown, keeping the view where it was. */
  async loadOlder() {
    const room = this.room;
    if (!room || this.olderExhausted || this.loadingOlder) return;
    this.loadingOlder = true;
    try {
      const page = await api.history(room.id, { limit: PAGE_SIZE, before: this.messages.oldestId() });
      if (this.room !== room) return;
      const heightBefore = this.scroller.scrollHeight;
      this.messages.merge(page.map(fromHistory));
      this.scroller.scrollTop += this.scroller.scrollHeight - heightBefore;
      this.setOlderExhausted(page.length < PAGE_SIZE);
    } catch (err) {
      this.notice(err.message);
    } finally {
      this.loadingOlder = false;
    }
  }
}
