/**
 * The y-websocket message types, and the error codes: one stable code each, mapped to an HTTP status
 * before the upgrade and a close code after it (close codes 4400-4499 mean "do not retry").
 * Part of the wire contract: schema/protocol.ts re-exports it, and it imports only its siblings.
 */

export const messageType = {
  sync: 0,
  awareness: 1,
  auth: 2,
  queryAwareness: 3,
} as const;
export type MessageType = (typeof messageType)[keyof typeof messageType];

// ---------------------------------------------------------------------------------------------------------
// Errors: one stable code each, mapped to an HTTP status before the upgrade and a close code after it.
// Close codes 4400-4499 mean "do not retry".
// ---------------------------------------------------------------------------------------------------------

export const errorCodes = {
  bad_request: { status: 400, close: 4400 },
  unauthorized: { status: 401, close: 4401 },
  forbidden: { status: 403, close: 4403 },
  not_found: { status: 404, close: 4404 },
  conflict: { status: 409, close: 4409 },
  stale: { status: 409, close: 4409 },
  /** the action is allowed but needs the caller to confirm what it means (a partial hunk, someone's edit) */
  needs_confirmation: { status: 409, close: 4409 },
  too_large: { status: 413, close: 4413 },
  /** a hostile or broken archive (zip slip, links, special files, duplicate or unreadable entries) */
  archive_refused: { status: 422, close: 4422 },
  rate_limited: { status: 429, close: 4429 },
  /** a socket or person introduced more new Yjs clientIDs than a handful of tabs would (ROOM-13) */
  too_many_client_ids: { status: 429, close: 4429 },
  /** updates wait for changes their sender never sent: too many of them, or for too long (ROOM-14) */
  missing_dependencies: { status: 424, close: 4424 },
  identity_mismatch: { status: 403, close: 4430 },
  /** an owner removed this person from the room: their token no longer opens it */
  removed: { status: 403, close: 4411 },
  /** an owner deleted the room: its content is gone, its links and tokens open nothing */
  room_deleted: { status: 410, close: 4410 },
  /** the room would be left without an owner (the last owner cannot be removed or downgraded) */
  last_owner: { status: 409, close: 4409 },
  /** the server holds its configured maximum of rooms */
  room_limit_reached: { status: 403, close: 4403 },
  /** a JSON route got a body that is not declared as JSON (a cross-site form or text/plain POST) */
  unsupported_media_type: { status: 415, close: 4400 },
  /** a WebSocket opened from a page of another origin */
  bad_origin: { status: 403, close: 4403 },
  malformed_frame: { status: 400, close: 4400 },
  /**
   * a room's stored bytes fail their checksum or cannot be decoded: an operator must restore it, so the
   * client must not retry (the stock y-websocket client stops on 4400-4499)
   */
  room_corrupt: { status: 500, close: 4420 },
  // 45xx: transient, the stock y-websocket client reconnects (a slow reader may catch up on a new socket)
  slow_reader: { status: 503, close: 4508 },
  server_busy: { status: 503, close: 4503 },
  agent_not_configured: { status: 503, close: 4503 },
  storage_failed: { status: 507, close: 4507 },
  /** this node lost the room's lease to another node (CLUSTER-10): reconnect, the next socket reaches the owner */
  fenced: { status: 503, close: 4509 },
  internal: { status: 500, close: 1011 },
} as const;
export type ErrorCode = keyof typeof errorCodes;

/** Body of every error response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** 1001: the server is going away (restart); clients should reconnect. */
export const CLOSE_GOING_AWAY = 1001;
/** 1009: frame larger than the configured limit (set by the WebSocket layer itself). */
export const CLOSE_TOO_BIG = 1009;

/**
 * The largest Yjs update our clients put in one frame (SAFE-165): a bigger one (a big paste, a file saved
 * on disk, what a client edited offline) goes as several updates of at most this many bytes, in order.
 * A quarter of the server's default frame limit (SPARKROOM_MAX_FRAME_BYTES, 2 MB), which may not be set
 * below twice this.
 */
export const UPDATE_PART_BYTES = 512 * 1024;
