// REST calls of the public API, and the session's token.

const TOKEN_KEY = "chat.token";

export class ApiError extends Error {
  constructor(status, body) {
    super(describeError(body) || `Request failed (${status})`);
    this.status = status;
    this.body = body;
  }
}

/** Turns `{"detail": "..."}` or DRF field errors `{"field": ["..."]}` into one sentence. */
function describeError(body) {
  if (!body || typeof body !== "object") return "";
  if (typeof body.detail === "string") return body.detail;
  if (typeof body.error === "string") return body.error;
  return Object.entries(body)
    .map(([field, problems]) => `${field}: ${[].concat(problems).join(" ")}`)
    .join("; ");
}

/**
 * The session's token. Each tab keeps its own (sessionStorage survives a reload), so two
 * windows of one browser can be two users; localStorage hands the last log-in to new tabs.
 */
let current = sessionStorage.getItem(TOKEN_KEY) ?? localStorage.getItem(TOKEN_KEY);

export const token = {
  get: () => current,
  set: (key) => {
    current = key;
    sessionStorage.setItem(TOKEN_KEY, key);
    localStorage.setItem(TOKEN_KEY, key);
  },
  /** Logged out: forgotten here, and by new tabs if it was the last log-in. */
  clear: () => {
    if (localStorage.getItem(TOKEN_KEY) === current) localStorage.removeItem(TOKEN_KEY);
    token.forget();
  },
  /** This tab lets go of the session without ending it: other windows keep using it. */
  forget: () => {
    sessionStorage.removeItem(TOKEN_KEY);
    current = null;
  },
};

/** Called with the ApiError whenever the server answers 401 to an authenticated call. */
let onUnauthorized = () => {};
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

export async function request(method, path, body) {
  const headers = {};
  const key = token.get();
  if (key) headers.Authorization = `Token ${key}`;
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(`/api/${path}`, { method, headers, body: payload });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text.slice(0, 200) };
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 && key) onUnauthorized(error);
    throw error;
  }
  return data;
}

const get = (path) => request("GET", path);
const post = (path, body) => request("POST", path, body ?? {});

export const api = {
  register: (fields) => post("user/register/", fields),
  login: (email, password) => post("user/login/", { email, password }),
  logout: () => post("user/logout/"),
  me: () => get("user/me/"),
  config: () => get("config/"),

  myRooms: () => get("chat/groups/"),
  allRooms: () => get("chat/groups/list/"),
  createRoom: (name, description, kind = "public") => post("chat/create-group/", { name, description, kind }),
  editRoom: (roomId, fields) => request("PATCH", `chat/edit-group/${roomId}/`, fields),
  createInvite: (roomId, fields) => post(`chat/groups/${roomId}/invites/`, fields),
  acceptInvite: (code) => post(`chat/invites/${encodeURIComponent(code)}/accept/`),
  join: (roomId) => post(`chat/group/${roomId}/add-yourself/`),
  leave: (roomId) => post(`chat/group/${roomId}/remove-yourself/`),
  members: (roomId) => get(`chat/groups/${roomId}/members/`),
  markRead: (roomId) => post(`chat/groups/${roomId}/mark-as-read/`),
  mutes: (roomId) => get(`chat/groups/${roomId}/mutes/`),
  mute: (roomId, userId, duration) => post(`chat/groups/${roomId}/mutes/`, { user_id: userId, duration }),
  unmute: (roomId, userId) => request("DELETE", `chat/groups/${roomId}/mutes/${userId}/`),
  pins: (roomId) => get(`chat/groups/${roomId}/pins/`),
  openDirect: (userId) => post("chat/direct/", { user_id: userId }),
  blocks: () => get("user/blocks/"),
  block: (userId) => post("user/blocks/", { user_id: userId }),
  unblock: (userId) => request("DELETE", `user/blocks/${userId}/`),

  /** One page of history, newest first; `before` is the oldest message id already shown. */
  history: (roomId, { limit = 50, before } = {}) => {
    const query = new URLSearchParams({ limit: String(limit) });
    if (before) query.set("before", String(before));
    return get(`chat/groups/${roomId}/messages/?${query}`);
  },
  /** Messages the caller can read that match `query`, newest first; `before` pages on (next_before). */
  search: (query, { before, limit = 20 } = {}) => {
    const params = new URLSearchParams({ q: query, limit: String(limit) });
    if (before) params.set("before", String(before));
    return get(`chat/search/?${params}`);
  },
  /** A page of history centred on message `around` (it included), newest first. */
  historyAround: (roomId, around, limit = 50) =>
    get(`chat/groups/${roomId}/messages/?${new URLSearchParams({ around: String(around), limit: String(limit) })}`),
  /** The room's newest event sequence number, or null when the server has no event log. */
  lastSeq: async (roomId) => {
    const page = await get(`chat/groups/${roomId}/events/?after_seq=0&limit=1`);
    return typeof page?.last_seq === "number" ? page.last_seq : null;
  },
  upload: (roomId, file, { content, parentMessage } = {}) => {
    const form = new FormData();
    form.append("attachment", file);
    if (content) form.append("content", content);
    if (parentMessage) form.append("parent_message", String(parentMessage));
    return post(`chat/groups/${roomId}/messages/upload/`, form);
  },
};
