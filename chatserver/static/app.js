// The chat client: log in, pick a room, talk in it live. Uses only the public API.

import { api, ApiError, setUnauthorizedHandler, token } from "./api.js";
import { $, show } from "./dom.js";
import { RoomSettings, acceptLinkedInvite } from "./invites.js";
import { loadLimits } from "./limits.js";
import { DirectMessages } from "./direct.js";
import { RoomView } from "./room.js";
import { RoomList } from "./rooms.js";
import { SearchPanel } from "./search.js";
import { UserStream } from "./socket.js";

const REFRESH_GAP_MS = 1000; // a burst of activity costs one reload of the room list
const RESUME_MAX_DELAY_MS = 8000;

let me = null;
let stream = null;
let refreshTimer = null;
let resumeTimer = null; // set while start-up waits to try the server again

/** Reload the room list soon, once for however many changes arrive meanwhile. */
function refreshSoon() {
  if (refreshTimer === null) {
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      roomList.refresh().then(() => roomView.moderation.roomUpdated(roomList.find(roomView.room?.id)));
    }, REFRESH_GAP_MS);
  }
}

const roomView = new RoomView({
  me: () => me,
  opened: (room) => {
    roomList.render();
    roomSettings.show(room);
    direct.opened(room);
  },
  roomsChanged: () => roomList.refresh(),
  message: (member) => direct.message(member),
  tokenRevoked: signedOut,
});

const roomList = new RoomList({
  currentId: () => roomView.room?.id,
  open: (room) => roomView.open(room),
  notice: (text) => roomView.notice(text),
});

const direct = new DirectMessages({
  room: () => roomView.room,
  openRoom: async (room) => {
    await roomList.refresh();
    return roomView.open(roomList.find(room.id) || room);
  },
  notice: (text) => roomView.notice(text),
});

const roomSettings = new RoomSettings({
  me: () => me,
  changed: () => roomList.refresh(),
  notice: (text) => roomView.notice(text),
});

/** Join the room of an invite link the page was opened with (or given later), and open it. */
async function followInvite() {
  let invited = null;
  try {
    invited = await acceptLinkedInvite();
  } catch (err) {
    roomView.notice(err.message);
  }
  if (invited) {
    await roomList.refresh();
    roomView.open(roomList.find(invited.id) || invited);
  }
  return invited;
}

const searchPanel = new SearchPanel({
  openAt: (room, messageId) => roomView.open(roomList.find(room.id) || room, { around: messageId }),
});

function showAuth() {
  searchPanel.close();
  roomView.close();
  roomSettings.hide();
  stream?.stop();
  stream = null;
  clearTimeout(refreshTimer);
  refreshTimer = null;
  me = null;
  show($("unreachable-view"), false);
  show($("chat-view"), false);
  show($("auth-view"), true);
  $("login-form").querySelector("input").focus();
}

/** The token is gone (logged out here or elsewhere, or refused): back to the log-in form. */
function signedOut() {
  token.clear();
  showAuth();
}

async function showChat(user) {
  me = user;
  roomView.composer.applyLimits();
  $("me-name").textContent = [user.first_name, user.last_name].filter(Boolean).join(" ");
  show($("unreachable-view"), false);
  show($("auth-view"), false);
  show($("chat-view"), true);
  await roomList.refresh();
  stream?.stop();
  stream = new UserStream(token.get(), {
    // The open room's own socket shows its activity, and its unread count stays 0.
    onChange: (frame) => frame?.action === "room_activity" && frame.room_id === roomView.room?.id ? null : refreshSoon(),
    onEnd: (code) => code === 4001 && signedOut(),
  });
  stream.start();
  if (await followInvite()) return;
  const room = roomList.find(Number(/^#room\/(\d+)$/.exec(location.hash)?.[1]));
  if (room) roomView.open(room);
}

function bindAuthForm(form, submit) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = form.querySelector(".form-error");
    error.textContent = "";
    try {
      await loadLimits();
      const answer = await submit(Object.fromEntries(new FormData(form)));
      token.set(answer.token);
      form.reset();
      await showChat(answer.user || (await api.me()));
    } catch (err) {
      error.textContent = err.message;
    }
  });
}

bindAuthForm($("login-form"), (fields) => api.login(fields.email, fields.password));
bindAuthForm($("register-form"), ({ last_name: lastName, ...fields }) => api.register(lastName ? { ...fields, last_name: lastName } : fields));

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
  history.replaceState(null, "", location.pathname);
  signedOut();
});

$("switch-account").addEventListener("click", () => {
  token.forget();
  history.replaceState(null, "", location.pathname);
  showAuth();
});

setUnauthorizedHandler(signedOut);
window.addEventListener("hashchange", () => me && followInvite());

/**
 * Start-up with a stored token: whose it is. Only the server's refusal (a 401, or another 4xx)
 * means logging in again; while it cannot be reached (a network error, or 5xx from a proxy in
 * front), say so and try again: after 1 s, 2 s ... up to 8 s, and at once when the network is back.
 */
async function resume(delay = 1000) {
  clearTimeout(resumeTimer);
  resumeTimer = null;
  let user;
  try {
    user = await api.me();
    await loadLimits();
  } catch (err) {
    if (err instanceof ApiError && err.status < 500) return showAuth();
    show($("auth-view"), false);
    show($("unreachable-view"), true);
    resumeTimer = setTimeout(() => resume(Math.min(delay * 2, RESUME_MAX_DELAY_MS)), delay);
    return undefined;
  }
  return showChat(user);
}

for (const [target, event] of [[$("retry-now"), "click"], [window, "online"]]) {
  target.addEventListener(event, () => resumeTimer !== null && resume());
}

if (token.get()) {
  resume();
} else {
  showAuth();
}
