// The chat client: log in, pick a room, talk in it live. Uses only the public API.

import { api, ApiError, setUnauthorizedHandler, token } from "./api.js";
import { Composer } from "./composer.js";
import { el, show } from "./dom.js";
import { MessageList, fromFrame, fromHistory, snippet } from "./messages.js";
import { RoomSocket, newClientId } from "./socket.js";
import { TypingIndicator } from "./typing.js";

const PAGE_SIZE = 50;
const ROOMS_REFRESH_MS = 15000;
const $ = (id) => document.getElementById(id);

const state = {
  me: null,
  rooms: [],
  room: null,
  members: new Map(), // user id -> member of the open room
  socket: null,
  olderExhausted: false,
  loadingOlder: false,
  refreshTimer: null,
  markReadTimer: null,
};

const messages = new MessageList($("messages"), {
  meId: () => state.me?.id,
  nameOf: (id, fallback) => {
    const member = state.members.get(id);
    return member ? [member.first_name, member.last_name].filter(Boolean).join(" ") : fallback || "Someone";
  },
  memberNames: (ids) => ids.map((id) => state.members.get(id)?.first_name).filter(Boolean),
}, messageAction);

const typing = new TypingIndicator($("typing"));

const composer = new Composer({
  form: $("composer"), input: $("message-input"), picker: $("mention-picker"), replyBar: $("reply-bar"),
  replyText: $("reply-text"), replyCancel: $("reply-cancel"), fileInput: $("attachment"), error: $("composer-error"),
}, {
  members: () => [...state.members.values()],
  meId: () => state.me?.id,
  onSend: sendMessage,
  onTyping: (isTyping) => state.socket?.send({ action: isTyping ? "typing" : "stop_typing" }),
  onUpload: upload,
});

// ---- accounts ----

function showAuth() {
  stopRoom();
  clearInterval(state.refreshTimer);
  state.me = null;
  show($("chat-view"), false);
  show($("auth-view"), true);
  $("login-form").querySelector("input").focus();
}

async function showChat(user) {
  state.me = user;
  $("me-name").textContent = [user.first_name, user.last_name].filter(Boolean).join(" ");
  show($("auth-view"), false);
  show($("chat-view"), true);
  await refreshRooms();
  clearInterval(state.refreshTimer);
  state.refreshTimer = setInterval(refreshRooms, ROOMS_REFRESH_MS);
  const wanted = Number(/^#room\/(\d+)$/.exec(location.hash)?.[1]);
  const room = state.rooms.find((r) => r.id === wanted);
  if (room) openRoom(room);
}

function bindAuthForm(form, submit) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = form.querySelector(".form-error");
    error.textContent = "";
    const fields = Object.fromEntries(new FormData(form));
    try {
      const answer = await submit(fields);
      token.set(answer.token);
      form.reset();
      await showChat(answer.user || (await api.me()));
    } catch (err) {
      error.textContent = err.message;
    }
  });
}

bindAuthForm($("login-form"), (f) => api.login(f.email, f.password));
bindAuthForm($("register-form"), (f) => api.register(f.last_name ? f : { email: f.email, password: f.password, first_name: f.first_name }));

for (const button of document.querySelectorAll("[data-show]")) {
  button.addEventListener("click", () => {
    for (const form of $("auth-view").querySelectorAll("form")) show(form, form.id === button.dataset.show);
    $(button.dataset.show).querySelector("input").focus();
  });
}

$("logout").addEventListener("click", async () => {
  try {
    await api.logout();
  } catch {
    // The token is dropped locally whatever the server said.
  }
  token.clear();
  history.replaceState(null, "", location.pathname);
  showAuth();
});

setUnauthorizedHandler(() => {
  token.clear();
  showAuth();
});

// ---- rooms ----

async function refreshRooms() {
  try {
    state.rooms = await api.myRooms();
  } catch {
    return;
  }
  renderRooms();
}

/** The open room counts as read: its messages are on screen. */
function unreadIn(room) {
  return state.room?.id === room.id ? 0 : room.unread_count || 0;
}

function renderRooms() {
  const items = state.rooms.map((room) => {
    const current = state.room?.id === room.id;
    const unread = unreadIn(room);
    return el("li", {},
      el("button", { type: "button", class: "room-item", "aria-current": current ? "true" : null,
        dataset: { testid: "room-item", roomId: String(room.id) }, onclick: () => openRoom(room) },
      el("span", { class: "room-name", text: room.name }),
      unread ? el("span", { class: "badge", "aria-label": `${unread} unread`, dataset: { testid: "unread-count" }, text: String(unread) }) : null,
      room.last_message ? el("span", { class: "room-last", text: lastMessageLine(room.last_message) }) : null));
  });
  $("my-rooms").replaceChildren(...items);
  const unread = state.rooms.reduce((sum, room) => sum + unreadIn(room), 0);
  document.title = unread ? `(${unread}) Chat` : "Chat";
  show($("my-rooms-empty"), !items.length);
}

function lastMessageLine(last) {
  const who = last.sender?.first_name ? `${last.sender.first_name}: ` : "";
  return `${who}${last.content || "(attachment)"}`;
}

function membersLabel(count) {
  return count === 1 ? "1 member" : `${count ?? "?"} members`;
}

function togglePanel(panel, open) {
  for (const other of [$("browse-panel"), $("create-form")]) show(other, other === panel && open);
  for (const button of [$("browse-open"), $("create-open")]) button.setAttribute("aria-expanded", String(button.getAttribute("aria-controls") === panel.id && open));
}

$("browse-open").addEventListener("click", async () => {
  const panel = $("browse-panel");
  togglePanel(panel, panel.hidden);
  if (panel.hidden) return;
  const mine = new Set(state.rooms.map((room) => room.id));
  const rooms = await api.allRooms();
  $("all-rooms").replaceChildren(...rooms.map((room) => el("li", { class: "browse-item", dataset: { testid: "browse-item", roomId: String(room.id) } },
    el("span", { class: "room-name", text: room.name }),
    el("span", { class: "hint", text: `${membersLabel(room.members_count)}${room.description ? ` - ${room.description}` : ""}` }),
    mine.has(room.id)
      ? el("button", { type: "button", dataset: { testid: "open-room" }, text: "Open", onclick: () => openRoom(room) })
      : el("button", { type: "button", dataset: { testid: "join-room" }, text: "Join", "aria-label": `Join ${room.name}`, onclick: () => joinRoom(room) }))));
  if (!rooms.length) $("all-rooms").replaceChildren(el("li", { class: "hint", text: "No rooms yet." }));
});

$("create-open").addEventListener("click", () => {
  const form = $("create-form");
  togglePanel(form, form.hidden);
  if (!form.hidden) form.querySelector("input").focus();
});

$("create-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const { name, description } = Object.fromEntries(new FormData(form));
  try {
    const answer = await api.createRoom(name.trim(), description.trim());
    form.reset();
    togglePanel(form, false);
    await refreshRooms();
    openRoom(answer.room);
  } catch (err) {
    form.querySelector(".form-error").textContent = err.message;
  }
});

async function joinRoom(room) {
  try {
    await api.join(room.id);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 400)) return notice(err.message);
  }
  togglePanel($("browse-panel"), false);
  await refreshRooms();
  openRoom(state.rooms.find((r) => r.id === room.id) || room);
}

$("leave-room").addEventListener("click", async () => {
  const room = state.room;
  try {
    await api.leave(room.id);
  } catch (err) {
    return notice(err.message);
  }
  stopRoom();
  await refreshRooms();
});

// ---- the open room ----

function notice(text) {
  $("notice").textContent = text || "";
  show($("notice"), Boolean(text));
}

function stopRoom() {
  state.socket?.stop();
  state.socket = null;
  state.room = null;
  messages.clear();
  typing.clear();
  composer.reset();
  show($("composer"), false);
  show($("leave-room"), false);
  show($("load-older"), false);
  $("room-title").textContent = "Pick a room";
  $("room-description").textContent = "";
  $("connection").textContent = "";
  notice("");
}

async function openRoom(room) {
  stopRoom();
  state.room = room;
  history.replaceState(null, "", `#room/${room.id}`);
  $("room-title").textContent = room.name;
  $("room-description").textContent = room.description || "";
  renderRooms();
  try {
    const [members, lastSeq] = await Promise.all([api.members(room.id), api.lastSeq(room.id).catch(() => null)]);
    if (state.room !== room) return;
    state.members = new Map(members.map((member) => [member.id, member]));
    const page = await api.history(room.id, { limit: PAGE_SIZE });
    if (state.room !== room) return;
    messages.merge(page.map(fromHistory).reverse());
    state.olderExhausted = page.length < PAGE_SIZE;
    show($("load-older"), !state.olderExhausted);
    scrollToBottom();
    connect(room, lastSeq);
  } catch (err) {
    return notice(err.message);
  }
  show($("composer"), true);
  show($("leave-room"), true);
  $("message-input").focus();
  markRead();
}

function connect(room, lastSeq) {
  state.socket = new RoomSocket(room.id, token.get(), lastSeq, {
    onFrame: (frame) => state.room === room && handleFrame(frame),
    onStatus: (status, failures) => {
      if (status === "reconnecting" && failures % 3 === 2) checkAccess(room);
      const text = { connecting: "Connecting...", live: "Connected", reconnecting: "Reconnecting..." }[status];
      $("connection").textContent = text;
      $("connection").dataset.state = status;
      if (status === "live") composer.showError("");
    },
    onResync: () => reloadLatest(room),
    onEnd: (code, reason) => {
      if (code === 4001) return showAuth();
      notice(reason);
      show($("composer"), false);
      refreshRooms();
    },
  });
  state.socket.start();
}

/**
 * A refused handshake reaches the page only as a dropped socket, so now and then ask REST
 * whether the token, the membership and the room still hold (a 401 logs out by itself).
 */
async function checkAccess(room) {
  try {
    await api.members(room.id);
  } catch (err) {
    if (state.room === room && err instanceof ApiError && (err.status === 403 || err.status === 404)) {
      stopRoom();
      notice(err.status === 403 ? "You are no longer a member of that room." : "That room no longer exists.");
      refreshRooms();
    }
  }
}

/** After a gap the server cannot replay: fetch the newest page again and merge it. */
async function reloadLatest(room) {
  try {
    const page = await api.history(room.id, { limit: PAGE_SIZE });
    if (state.room === room) messages.merge(page.map(fromHistory));
  } catch {
    // The next reconnect tries again.
  }
}

function handleFrame(frame) {
  switch (frame.action) {
    case undefined:
    case null:
    case "send_message":
      return receiveMessage(frame);
    case "edited":
      return messages.update(frame.id, { content: frame.new_content, isEdited: true });
    case "deleted":
      return messages.update(frame.id, { isDeleted: true, content: "", attachment: null, reactions: {} });
    case "reacted":
      return messages.update(frame.id, { reactions: frame.reactions || {} });
    case "typing":
      if (frame.sender?.id !== state.me.id) typing.set(frame.sender, frame.is_typing);
      return undefined;
    case "error":
      if (frame.client_id) messages.dropPending(frame.client_id);
      return composer.showError(frame.error || "The server refused that.");
    default:
      return undefined;
  }
}

function receiveMessage(frame) {
  const atBottom = isNearBottom();
  const message = fromFrame(frame);
  if (message.senderId !== undefined && !state.members.has(message.senderId)) refreshMembers();
  typing.set(frame.sender, false);
  messages.merge([message]);
  if (atBottom || message.senderId === state.me.id) scrollToBottom();
  if (message.senderId !== state.me.id) {
    $("announce").textContent = `${messages.view.nameOf(message.senderId, message.senderName)}: ${snippet(message)}`;
    markRead();
  }
}

async function refreshMembers() {
  const room = state.room;
  try {
    const members = await api.members(room.id);
    if (state.room === room) state.members = new Map(members.map((member) => [member.id, member]));
  } catch {
    // Names fall back to what the frame carries.
  }
}

function markRead() {
  clearTimeout(state.markReadTimer);
  const room = state.room;
  state.markReadTimer = setTimeout(() => {
    if (room && state.room === room && document.visibilityState === "visible") api.markRead(room.id).catch(() => {});
  }, 500);
}

document.addEventListener("visibilitychange", () => state.room && markRead());

function sendMessage(text, mentions, parent) {
  const frame = { action: "send_message", message: text, client_id: newClientId() };
  if (mentions.length) frame.mentions = mentions;
  if (parent) frame.parent_message = parent;
  composer.showError("");
  messages.addPending(frame.client_id, text);
  scrollToBottom();
  if (!state.socket.send(frame)) composer.showError("Offline: the message will be sent when the connection is back.");
}

async function upload(file, parent) {
  const room = state.room;
  composer.showError(`Uploading ${file.name}...`);
  try {
    const message = await api.upload(room.id, file, { parentMessage: parent });
    composer.showError("");
    if (state.room === room) messages.merge([fromHistory(message)]);
    scrollToBottom();
  } catch (err) {
    composer.showError(err.status === 413 ? `${file.name} is too large.` : err.message);
  }
}

function messageAction(action, id, value) {
  const message = messages.get(id)?.model;
  if (!message) return;
  if (action === "reply") {
    composer.setReply({ id, label: `${messages.view.nameOf(message.senderId, message.senderName)}: ${snippet(message)}` });
  } else if (action === "react") {
    state.socket.send({ action: "react_message", message_id: id, reaction: value });
  } else if (action === "edit") {
    state.socket.send({ action: "edit_message", message_id: id, new_content: value });
  } else if (action === "delete") {
    state.socket.send({ action: "delete_message", message_id: id });
  }
}

// ---- scrolling and older pages ----

const scroller = $("messages-scroll");

function isNearBottom() {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
}

function scrollToBottom() {
  scroller.scrollTop = scroller.scrollHeight;
}

async function loadOlder() {
  const room = state.room;
  if (!room || state.olderExhausted || state.loadingOlder) return;
  state.loadingOlder = true;
  try {
    const page = await api.history(room.id, { limit: PAGE_SIZE, before: messages.oldestId() });
    if (state.room !== room) return;
    const heightBefore = scroller.scrollHeight;
    messages.merge(page.map(fromHistory));
    scroller.scrollTop += scroller.scrollHeight - heightBefore;
    state.olderExhausted = page.length < PAGE_SIZE;
    show($("load-older"), !state.olderExhausted);
  } catch (err) {
    notice(err.message);
  } finally {
    state.loadingOlder = false;
  }
}

$("load-older").addEventListener("click", loadOlder);
scroller.addEventListener("scroll", () => {
  if (scroller.scrollTop < 40) loadOlder();
});

// ---- start ----

if (token.get()) {
  api.me().then(showChat, showAuth);
} else {
  showAuth();
}
