// The client's WebSockets: a room's socket (resumes with after_seq, retries sends) and the user's stream.

/** Close codes after which reconnecting would not help. */
export const FINAL_CLOSE = {
  4001: "Your session ended (logged out elsewhere). Please log in again.",
  4003: "You are no longer a member of this room.",
  4004: "This room was deleted.",
};

/** Persisted changes other than creation: replaying an older one would undo a newer one. */
const CHANGE_ACTIONS = new Set(["edited", "deleted", "reacted", "message_pinned"]);
/** Changes the user makes to a shown message: kept while the socket is down, sent in order once it is back. */
const QUEUED_ACTIONS = new Set(["edit_message", "delete_message", "react_message"]);
const MAX_DELAY_MS = 8000;
/**
 * Error codes after which the same send, resent with its client_id, may well succeed, and how
 * often to try: the database comes back by itself; a send that keeps failing inside is given up.
 */
const RETRY_LIMIT = new Map([["unavailable", Infinity], ["internal", 3]]);

/** A random id for idempotent sends; crypto.randomUUID needs a secure context, this does not. */
export function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A WebSocket that reconnects with backoff after a drop, and at once when the browser says the
 * network is back. Subclasses give url(), receive(data) and, if they need them, opened(ws) and
 * connecting(resuming). handlers: onStatus?(state, failures) with state "connecting" | "live" |
 * "reconnecting", onEnd(code, reason) when the socket closed for good.
 */
class ReconnectingSocket {
  constructor(token, handlers) {
    this.token = token;
    this.handlers = handlers;
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.stopped = false;
    this.wakeUp = () => this.reconnectNow();
    window.addEventListener("online", this.wakeUp);
  }

  wsUrl(path, query) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${location.host}${path}?${query}`;
  }

  connecting() {}

  opened() {}

  status(state, failures) {
    this.handlers.onStatus?.(state, failures);
  }

  start() {
    if (this.stopped) return;
    this.timer = null;
    const resuming = this.attempt > 0;
    this.status(resuming ? "reconnecting" : "connecting");
    this.connecting(resuming);
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.status("live");
      this.opened(ws);
    };
    ws.onmessage = (event) => this.receive(event.data);
    ws.onclose = (event) => this.closed(ws, event);
  }

  closed(ws, event) {
    if (ws !== this.ws || this.stopped) return;
    this.ws = null;
    if (FINAL_CLOSE[event.code]) {
      this.stop();
      this.handlers.onEnd(event.code, FINAL_CLOSE[event.code]);
      return;
    }
    const delay = Math.min(MAX_DELAY_MS, 500 * 2 ** this.attempt) * (0.8 + Math.random() * 0.4);
    this.attempt += 1;
    this.status("reconnecting", this.attempt);
    this.timer = setTimeout(() => this.start(), delay);
  }

  /**
   * The browser says the network is back: an open socket may be a dead link it has not
   * noticed yet, so drop it and resume at once instead of waiting out the backoff.
   */
  reconnectNow() {
    if (this.stopped) return;
    const old = this.ws;
    if (old) {
      this.ws = null;
      old.onclose = null;
      old.onmessage = null;
      old.close(1000);
    }
    clearTimeout(this.timer);
    this.attempt = Math.max(this.attempt, 1);
    this.start();
  }

  /** Open, and the browser online: while it is offline an open socket may be a dead link. */
  isLive() {
    return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN && navigator.onLine !== false);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    window.removeEventListener("online", this.wakeUp);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000);
    }
  }
}

function parse(data) {
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}

/** One room's socket: resumes with after_seq after a drop, retries unconfirmed sends. */
export class RoomSocket extends ReconnectingSocket {
  /**
   * handlers: onFrame(frame), onStatus(state, failures), onResync() when the server cannot
   * replay (history must be fetched again), onEnd(code, reason), onFlushed(frames) when changes
   * queued while the socket was down have been sent.
   */
  constructor(roomId, token, lastSeq, handlers) {
    super(token, handlers);
    this.roomId = roomId;
    this.lastSeq = lastSeq;
    this.pending = new Map(); // client_id -> send_message frame not yet echoed
    this.queued = []; // edit, delete and react frames made while the socket was down
    this.retries = new Map(); // client_id -> how often the server could not store it
  }

  url() {
    const query = new URLSearchParams({ token: this.token });
    if (this.lastSeq !== null) query.set("after_seq", String(this.lastSeq));
    return this.wsUrl(`/ws/chat/${this.roomId}/`, query);
  }

  connecting(resuming) {
    if (resuming && this.lastSeq === null) this.handlers.onResync();
  }

  opened(ws) {
    for (const frame of this.pending.values()) ws.send(JSON.stringify(frame));
    const queued = this.queued.splice(0);
    for (const frame of queued) ws.send(JSON.stringify(frame));
    if (queued.length) this.handlers.onFlushed(queued);
  }

  receive(data) {
    const frame = parse(data);
    if (!frame) return;
    if (frame.action === "reset") {
      this.lastSeq = frame.last_seq;
      this.handlers.onResync();
      return;
    }
    if (frame.action === "resumed") return;
    if (typeof frame.seq === "number") {
      if (CHANGE_ACTIONS.has(frame.action) && this.lastSeq !== null && frame.seq <= this.lastSeq) return;
      if (this.lastSeq === null || frame.seq > this.lastSeq) this.lastSeq = frame.seq;
    }
    const tries = this.retries.get(frame.client_id) || 0;
    if (frame.action === "error" && this.pending.has(frame.client_id) && tries < (RETRY_LIMIT.get(frame.code) ?? 0)) {
      this.retryLater(frame.client_id); // nothing was stored: the bubble stays pending
      return;
    }
    if (frame.client_id) {
      this.pending.delete(frame.client_id);
      this.retries.delete(frame.client_id);
    }
    this.handlers.onFrame(frame);
  }

  /** Resends a pending send after a growing pause; the server stores a client_id once either way. */
  retryLater(clientId) {
    const tries = (this.retries.get(clientId) || 0) + 1;
    this.retries.set(clientId, tries);
    const delay = Math.min(MAX_DELAY_MS, 500 * 2 ** tries) * (0.8 + Math.random() * 0.4);
    setTimeout(() => {
      const frame = this.pending.get(clientId);
      if (frame && this.isLive()) this.ws.send(JSON.stringify(frame));
    }, delay);
  }

  /**
   * Sends a frame now if connected (false if not); send_message frames with a client_id are kept
   * until echoed, edits, deletes and reactions until the socket is back (a reaction toggles, so
   * none is ever sent twice).
   */
  send(frame) {
    if (frame.action === "send_message" && frame.client_id) this.pending.set(frame.client_id, frame);
    if (this.isLive()) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    if (QUEUED_ACTIONS.has(frame.action)) this.queued.push(frame);
    return false;
  }
}

/**
 * The user's stream (/ws/user/): tells when anything happens in the user's rooms, so the room
 * list and its unread counts stay live. handlers: onChange(frame or null) on every frame and on
 * each (re)connect (something may have happened while it was down), onEnd(code, reason).
 */
export class UserStream extends ReconnectingSocket {
  url() {
    return this.wsUrl("/ws/user/", new URLSearchParams({ token: this.token }));
  }

  opened() {
    this.handlers.onChange(null);
  }

  receive(data) {
    const frame = parse(data);
    if (frame && ["room_activity", "rooms_changed", "room_read"].includes(frame.action)) this.handlers.onChange(frame);
  }
}
