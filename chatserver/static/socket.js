// One room's WebSocket: resumes with after_seq after a drop, retries unconfirmed sends.

/** Close codes after which reconnecting would not help. */
export const FINAL_CLOSE = {
  4001: "Your session ended (logged out elsewhere). Please log in again.",
  4003: "You are no longer a member of this room.",
  4004: "This room was deleted.",
};

/** Persisted changes other than creation: replaying an older one would undo a newer one. */
const CHANGE_ACTIONS = new Set(["edited", "deleted", "reacted"]);
const MAX_DELAY_MS = 8000;

/** A random id for idempotent sends; crypto.randomUUID needs a secure context, this does not. */
export function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class RoomSocket {
  /**
   * handlers: onFrame(frame), onStatus(state, failures) with state "connecting" | "live" | "reconnecting",
   * onResync() when the server cannot replay (history must be fetched again),
   * onEnd(code, reason) when the socket closed for good.
   */
  constructor(roomId, token, lastSeq, handlers) {
    this.roomId = roomId;
    this.token = token;
    this.lastSeq = lastSeq;
    this.handlers = handlers;
    this.pending = new Map(); // client_id -> send_message frame not yet echoed
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.stopped = false;
    this.wakeUp = () => this.reconnectNow();
    window.addEventListener("online", this.wakeUp);
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = new URLSearchParams({ token: this.token });
    if (this.lastSeq !== null) query.set("after_seq", String(this.lastSeq));
    return `${scheme}://${location.host}/ws/chat/${this.roomId}/?${query}`;
  }

  start() {
    if (this.stopped) return;
    this.timer = null;
    const resuming = this.attempt > 0;
    this.handlers.onStatus(resuming ? "reconnecting" : "connecting");
    if (resuming && this.lastSeq === null) this.handlers.onResync();
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.handlers.onStatus("live");
      for (const frame of this.pending.values()) ws.send(JSON.stringify(frame));
    };
    ws.onmessage = (event) => this.receive(event.data);
    ws.onclose = (event) => this.closed(ws, event);
  }

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
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
    if (frame.client_id) this.pending.delete(frame.client_id);
    this.handlers.onFrame(frame);
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
    this.handlers.onStatus("reconnecting", this.attempt);
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

  /** Sends a frame now if connected; send_message frames with a client_id are kept until echoed. */
  send(frame) {
    if (frame.action === "send_message" && frame.client_id) this.pending.set(frame.client_id, frame);
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  isLive() {
    return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN);
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
