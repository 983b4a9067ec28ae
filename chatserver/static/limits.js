// This server's limits and reaction names (GET /api/config/), read before the chat is shown.

import { api } from "./api.js";

/** { max_message_length, max_mentions, max_upload_bytes, reactions }, filled by loadLimits(). */
export const limits = {};

/** Reads the server's limits once; later calls reuse them. */
export async function loadLimits() {
  if (!limits.reactions) Object.assign(limits, await api.config());
  return limits;
}
