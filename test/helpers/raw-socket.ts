import type { IncomingMessage } from 'node:http';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { WebSocket } from 'ws';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { CODE_FILES_KEY, type ErrorBody, messageType, REVIEW_SUFFIX } from '../../schema/protocol.ts';
import {
  type AwarenessEntry,
  decodeAwarenessUpdate,
  encodeAwarenessUpdate,
} from '../../server/rooms/awareness-codec.ts';
import { until } from './wait.ts';

/**
 * A hand-driven y-protocols client on a raw `ws` socket, for what the stock provider never sends:
 * forged clientIDs, malformed frames, floods, a reader that stops reading. It still keeps a Y.Doc of what
 * the server sent it, and `roundTrip()` gives tests an exact fence: the server answers frames of one
 * socket in order, and answers a sync step 1 only once everything applied before it is durable and
 * broadcast (ROOM-3), so after a round trip this client has seen every broadcast that preceded it.
 */
export interface RawClient {
  ws: WebSocket;
  /** every document update the server sent (sync step 2 answers and broadcasts), applied in order */
  doc: Y.Doc;
  /** latest awareness entry per clientID as relayed by the server (null state: removed) */
  awareness: Map<number, AwarenessEntry>;
  /** number of frames received, by y-websocket message type */
  counts: { syncStep1: number; syncStep2: number; update: number; awareness: number };
  /** resolves when the socket closes, with the close code the server sent */
  closed: Promise<{ code: number; reason: string }>;
  /** `closed`, but rejects after `timeoutMs` so a server that fails to close fails the test quickly */
  waitForClose(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  send(frame: Uint8Array): void;
  sendText(text: string): void;
  /** sends a Yjs update as a y-websocket sync "update" message */
  sendUpdate(update: Uint8Array): void;
  sendAwareness(entries: AwarenessEntry[]): void;
  /** sync step 1 with this client's state vector; resolves once the server's step 2 answer is applied */
  roundTrip(timeoutMs?: number): Promise<void>;
  /** asks for every awareness state; resolves once the answer has arrived */
  queryAwareness(timeoutMs?: number): Promise<Map<number, AwarenessEntry>>;
  /** stops reading from the network (a slow reader): the server's sends pile up in its buffers */
  pauseReading(): void;
  resumeReading(): void;
  text(path: string): string;
  close(): void;
}

/** ws://.../sync/:roomId[/review]?token=... */
export function syncSocketUrl(syncUrl: string, roomId: string, token: string | null, review = false): string {
  const path = `${syncUrl}/${encodeURIComponent(roomId)}${review ? `/${REVIEW_SUFFIX}` : ''}`;
  return token === null ? path : `${path}?token=${encodeURIComponent(token)}`;
}

/** An upgrade the server refused: its HTTP status and error body. */
export class UpgradeRefused extends Error {
  readonly status: number;
  readonly body: ErrorBody | null;
  /** the error code from the x-sparkroom-error header (refused upgrades carry no body) */
  readonly code: string | null;
  constructor(status: number, body: ErrorBody | null, code: string | null = null) {
    super(`upgrade refused with HTTP ${status}${body ? `: ${body.error.message}` : ''}`);
    this.status = status;
    this.body = body;
    this.code = code;
  }
}

/**
 * Opens a raw socket; rejects with UpgradeRefused when the server answers the upgrade with an HTTP error.
 * `headers` go with the upgrade request (an Origin, as a browser page would send).
 */
export function openRawClient(
  url: string,
  opts: { headers?: Record<string, string>; compress?: boolean } = {},
): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    // ws offers permessage-deflate by default, as browsers do; `compress: false` is a client that doesn't.
    const ws = new WebSocket(url, { headers: opts.headers ?? {}, perMessageDeflate: opts.compress ?? true });
    ws.binaryType = 'nodebuffer';
    ws.once('unexpected-response', (req, res: IncomingMessage) => {
      readBody(res).then(
        (text) => {
          req.destroy();
          const code = res.headers['x-sparkroom-error'];
          reject(
            new UpgradeRefused(
              res.statusCode ?? 0,
              parseErrorBody(text),
              typeof code === 'string' ? code : null,
            ),
          );
        },
        (err: unknown) => reject(err),
      );
    });
    ws.once('error', (err) => reject(err));
    ws.once('open', () => resolve(wrap(ws)));
  });
}

/** Expects the upgrade to be refused; resolves with the refusal, rejects if a socket opened. */
export async function expectRefusedUpgrade(
  url: string,
  opts: { headers?: Record<string, string> } = {},
): Promise<UpgradeRefused> {
  try {
    const client = await openRawClient(url, opts);
    client.close();
  } catch (err) {
    if (err instanceof UpgradeRefused) return err;
    throw err;
  }
  throw new Error(`the server accepted an upgrade it should have refused: ${url}`);
}

function wrap(ws: WebSocket): RawClient {
  const doc = new Y.Doc();
  const awareness = new Map<number, AwarenessEntry>();
  const counts = { syncStep1: 0, syncStep2: 0, update: 0, awareness: 0 };
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const fn of [...listeners]) fn();
  };
  const subscribe = (fn: () => void) => {
    listeners.add(fn);
    return () => listeners.delete(fn);
  };

  ws.on('message', (data: Buffer) => {
    const decoder = decoding.createDecoder(new Uint8Array(data));
    const type = decoding.readVarUint(decoder);
    if (type === messageType.sync) {
      const syncType = decoding.readVarUint(decoder);
      if (syncType === syncProtocol.messageYjsSyncStep1) counts.syncStep1++;
      else {
        Y.applyUpdate(doc, decoding.readVarUint8Array(decoder), 'server');
        if (syncType === syncProtocol.messageYjsSyncStep2) counts.syncStep2++;
        else counts.update++;
      }
    } else if (type === messageType.awareness) {
      counts.awareness++;
      for (const entry of decodeAwarenessUpdate(decoding.readVarUint8Array(decoder))) {
        awareness.set(entry.clientId, entry);
      }
    }
    changed();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.once('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      changed();
    });
  });
  // A refused or reset socket reports an error before 'close'; the close code is what tests look at.
  ws.on('error', () => {});

  const send = (frame: Uint8Array) => ws.send(frame);
  const client: RawClient = {
    ws,
    doc,
    awareness,
    counts,
    closed,
    waitForClose(timeoutMs = 5000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
      });
      return Promise.race([closed, timeout]).finally(() => clearTimeout(timer));
    },
    send,
    sendText: (text) => ws.send(text),
    sendUpdate: (update) => send(updateFrame(update)),
    sendAwareness: (entries) => send(awarenessFrame(entries)),
    async roundTrip(timeoutMs) {
      const target = counts.syncStep2 + 1;
      send(syncStep1Frame(Y.encodeStateVector(doc)));
      await until(
        () => counts.syncStep2 >= target || ws.readyState === ws.CLOSED,
        subscribe,
        timeoutMs,
        'sync step 2 answer',
      );
      if (counts.syncStep2 < target) throw new Error('socket closed before the sync answer');
    },
    async queryAwareness(timeoutMs) {
      const target = counts.awareness + 1;
      send(queryAwarenessFrame());
      await until(
        () => counts.awareness >= target || ws.readyState === ws.CLOSED,
        subscribe,
        timeoutMs,
        'awareness answer',
      );
      if (counts.awareness < target) throw new Error('socket closed before the awareness answer');
      return awareness;
    },
    pauseReading() {
      // ws pauses its net.Socket: nothing more is read, so the kernel buffers fill and the server's pile up.
      ws.pause();
    },
    resumeReading() {
      ws.resume();
    },
    text: (path) => doc.getMap<Y.Text>(CODE_FILES_KEY).get(path)?.toString() ?? '',
    close() {
      if (ws.readyState === ws.CONNECTING) ws.terminate();
      else ws.close();
      doc.destroy();
    },
  };
  return client;
}

export function updateFrame(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, messageType.sync);
  syncProtocol.writeUpdate(encoder, update);
  return encoding.toUint8Array(encoder);
}

export function syncStep1Frame(stateVector: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, messageType.sync);
  encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep1);
  encoding.writeVarUint8Array(encoder, stateVector);
  return encoding.toUint8Array(encoder);
}

export function awarenessFrame(entries: AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, messageType.awareness);
  encoding.writeVarUint8Array(encoder, encodeAwarenessUpdate(entries));
  return encoding.toUint8Array(encoder);
}

export function queryAwarenessFrame(): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, messageType.queryAwareness);
  return encoding.toUint8Array(encoder);
}

/**
 * An update that sets `files[path]` to a new Y.Text holding `text`, written by a Y.Doc with the given
 * clientID (on top of `base`, so the update continues that client's clock the way a real client would).
 */
export function fileUpdate(
  path: string,
  text: string,
  opts: { clientId?: number; base?: Y.Doc } = {},
): Uint8Array {
  const doc = new Y.Doc();
  if (opts.base) Y.applyUpdate(doc, Y.encodeStateAsUpdate(opts.base));
  // Set after applying the base: Yjs picks a new clientID when a remote update touches its own.
  if (opts.clientId !== undefined) doc.clientID = opts.clientId;
  const before = Y.encodeStateVector(doc);
  doc.transact(() => {
    const files = doc.getMap<Y.Text>(CODE_FILES_KEY);
    let t = files.get(path);
    if (!t) {
      t = new Y.Text();
      files.set(path, t);
    }
    t.insert(t.length, text);
  });
  const update = Y.encodeStateAsUpdate(doc, before);
  doc.destroy();
  return update;
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function parseErrorBody(text: string): ErrorBody | null {
  try {
    const body = JSON.parse(text) as ErrorBody;
    return typeof body?.error?.code === 'string' ? body : null;
  } catch {
    return null;
  }
}

/** Waits until `check` holds for a raw client, re-checked on each frame it receives. */
export function waitRaw<T>(
  raw: RawClient,
  check: () => T | undefined | false,
  what: string,
  timeoutMs = 60_000,
) {
  return until(
    check,
    (cb) => {
      raw.ws.on('message', cb);
      return () => raw.ws.off('message', cb);
    },
    timeoutMs,
    what,
  );
}

/** Resolves once `raw` has seen an awareness state from `clientId` that satisfies `predicate`. */
export function awarenessSeen(
  raw: RawClient,
  clientId: number,
  predicate: (state: Record<string, unknown>) => boolean,
  timeoutMs = 10_000,
) {
  return waitRaw(
    raw,
    () => {
      const state = raw.awareness.get(clientId)?.state;
      return state ? predicate(state) : false;
    },
    `awareness of client ${clientId}`,
    timeoutMs,
  );
}
