import WebSocket from 'ws';
import * as Y from 'yjs';
import { clockMs } from '../lib/clock.ts';
import { EDIT_FILE, fillDoc, type SeedSpec } from '../lib/seed-content.ts';
import { markersInText, markerText, scanMarkers } from './edit-marker.ts';
import { SuggestionWatch } from './suggestion-watch.ts';
import {
  decodeFrame,
  encodeAwareness,
  encodeHocuspocusAuth,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  type Wire,
} from './wire.ts';

/** What one simulated client does; plain data so it crosses the worker boundary. */
export interface ClientSpec {
  /** unique across the run */
  key: string;
  url: string;
  wire: Wire;
  docName: string;
  /** sent in the Hocuspocus auth frame; Sparkroom carries its token in the URL instead */
  token: string;
  /**
   * `full` holds a Y.Doc and applies every update (it can prove convergence); `count` only scans frames
   * for edit markers. A writer always holds a doc with the seed and its own edits, so its updates are real.
   */
  mode: 'full' | 'count';
  /** writer id when this client types, else null */
  writer: number | null;
  /** latency histogram the client records into */
  tag: string;
  /** keep every (writer, seq) received: durability needs the exact set, other scenarios only counts */
  trackSeen?: boolean;
  /** a full client of a Sparkroom review doc that times the agent's suggestion text (SuggestionWatch) */
  watchSuggestions?: boolean;
  /**
   * publish a presence (awareness) state on connect, as every editor client does (default true); the
   * lecture's watchers do not, so a thousand joins are not a million presence frames before the measurement
   */
  presence?: boolean;
}

export interface ConnectTiming {
  key: string;
  /** ms from `new WebSocket` to the socket being open */
  openMs: number;
  /** ms from `new WebSocket` to the server's sync step 2 arriving (after the base frame, if one is sent first) */
  syncedMs: number;
  /** ms from `new WebSocket` to that step 2 being applied to the client's Y.Doc (= syncedMs without one) */
  appliedMs: number;
  /** bytes of the state received up to and including step 2 (a base update sent before it counts) */
  docBytes: number;
}

const REMOTE = Symbol('remote');
const LOCAL = Symbol('local');
const EMPTY_UPDATE = Y.encodeStateAsUpdate(new Y.Doc());
const EMPTY_STATE_VECTOR = Y.encodeStateVector(new Y.Doc());

/**
 * One simulated person speaking a contender's real sync protocol over a real socket: handshake (auth for
 * Hocuspocus, sync step 1/2, one awareness state as every editor client sends), then typed edits or reads.
 */
export class BenchClient {
  readonly spec: ClientSpec;
  private readonly record: (tag: string, ms: number) => void;
  private ws: WebSocket | null = null;
  private doc: Y.Doc | null;
  private text: Y.Text | null = null;
  private cursor = 0;
  private seq = 0;
  private synced = false;
  /** bytes of updates that arrived before sync step 2: Sparkroom sends a big room's base first (ROOM-35) */
  private preSyncBytes = 0;
  private acks: (() => void)[] = [];
  /** markers received from other writers, per writer */
  readonly received = new Map<number, number>();
  readonly seen = new Set<string>();
  readonly watch: SuggestionWatch | null;
  closedUnexpectedly = false;
  closeCode: number | null = null;
  private closing = false;

  constructor(spec: ClientSpec, record: (tag: string, ms: number) => void) {
    this.spec = spec;
    this.record = record;
    this.doc = spec.mode === 'full' || spec.writer !== null ? new Y.Doc() : null;
    this.doc?.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== REMOTE) this.send(encodeUpdate(this.spec.wire, this.spec.docName, update));
    });
    this.watch = spec.watchSuggestions ? new SuggestionWatch() : null;
  }

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  connect(): Promise<ConnectTiming> {
    const { spec } = this;
    const t0 = clockMs();
    let openedAt = t0;
    const ws = new WebSocket(spec.url, { perMessageDeflate: false, maxPayload: 1024 * 1024 * 1024 });
    ws.binaryType = 'nodebuffer';
    this.ws = ws;
    return new Promise<ConnectTiming>((resolve, reject) => {
      ws.on('open', () => {
        openedAt = clockMs();
        if (spec.wire === 'hocuspocus') ws.send(encodeHocuspocusAuth(spec.docName, spec.token));
        const sv = this.doc ? Y.encodeStateVector(this.doc) : EMPTY_STATE_VECTOR;
        ws.send(encodeSyncStep1(spec.wire, spec.docName, sv));
        const clientId = this.doc?.clientID ?? Math.floor(Math.random() * 0xffffffff);
        if (spec.presence === false) return;
        ws.send(
          encodeAwareness(spec.wire, spec.docName, clientId, 1, {
            user: { name: spec.key },
            cursor: null,
          }),
        );
      });
      ws.on('message', (data: Buffer) => {
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        const frame = decodeFrame(spec.wire, spec.docName, bytes);
        switch (frame.kind) {
          case 'step1': {
            const answer = this.doc ? Y.encodeStateAsUpdate(this.doc, frame.payload) : EMPTY_UPDATE;
            this.send(encodeSyncStep2(spec.wire, spec.docName, answer));
            break;
          }
          case 'step2': {
            if (this.synced) {
              for (const ack of this.acks.splice(0)) ack();
              if (this.spec.mode === 'full' && this.doc) Y.applyUpdate(this.doc, frame.payload, REMOTE);
              break;
            }
            const syncedAt = clockMs();
            if (this.doc) Y.applyUpdate(this.doc, frame.payload, REMOTE);
            const appliedAt = clockMs();
            this.synced = true;
            this.text = this.doc?.getMap<Y.Text>('files').get(EDIT_FILE) ?? null;
            // Writers type in the middle of the file, like a person editing a function.
            this.cursor = Math.floor((this.text?.length ?? 0) / 2);
            resolve({
              key: spec.key,
              openMs: openedAt - t0,
              syncedMs: syncedAt - t0,
              appliedMs: appliedAt - t0,
              docBytes: this.preSyncBytes + frame.payload.byteLength,
            });
            break;
          }
          case 'update':
            if (!this.synced) this.preSyncBytes += frame.payload.byteLength;
            this.onUpdate(frame.payload);
            break;
          default:
            break;
        }
      });
      ws.on('error', (err) => {
        if (!this.synced) reject(new Error(`${spec.key}: ${err.message}`));
      });
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        for (const ack of this.acks.splice(0)) ack();
        if (!this.synced) {
          reject(new Error(`${spec.key}: closed before sync (${code} ${reason.toString()})`));
        } else if (!this.closing) this.closedUnexpectedly = true;
      });
    });
  }

  private onUpdate(update: Uint8Array): void {
    if (this.spec.mode === 'full' && this.doc) Y.applyUpdate(this.doc, update, REMOTE);
    this.watch?.observe(update);
    // Observed now: after the update is applied for a full client, on arrival for a counting one.
    const observedAt = clockMs();
    scanMarkers(update, (writer, seq, sentAt) => {
      if (writer === this.spec.writer) return;
      this.received.set(writer, (this.received.get(writer) ?? 0) + 1);
      if (this.spec.trackSeen) this.seen.add(`${writer}.${seq}`);
      this.record(this.spec.tag, observedAt - sentAt);
    });
  }

  private send(frame: Uint8Array): boolean {
    if (!this.open) return false;
    this.ws?.send(frame);
    return true;
  }

  /** Types one marked edit at the cursor; false when the socket is gone (the edit is not counted). */
  edit(): boolean {
    const { text, doc } = this;
    const writer = this.spec.writer;
    if (!text || !doc || writer === null) throw new Error(`${this.spec.key} is not a synced writer`);
    if (!this.open) return false;
    const seq = ++this.seq;
    const insert = markerText(writer, seq, clockMs());
    const pos = Math.min(this.cursor, text.length);
    doc.transact(() => text.insert(pos, insert), LOCAL);
    this.cursor = pos + insert.length;
    return true;
  }

  /** Writes the seed content (needs a doc) and resolves once the server has answered a later step 1. */
  async seed(spec: SeedSpec): Promise<void> {
    if (!this.doc) throw new Error(`${this.spec.key} holds no doc to seed`);
    fillDoc(this.doc, spec, LOCAL);
    await this.ack();
  }

  /**
   * Resolves when the server answers a fresh sync step 1. Servers handle a socket's frames in order, so
   * the answer means every earlier update was applied (and for Sparkroom, committed: it answers step 1
   * only after its group commit).
   */
  ack(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (!this.open) {
        resolve();
        return;
      }
      this.acks.push(resolve);
      const sv = this.doc ? Y.encodeStateVector(this.doc) : EMPTY_STATE_VECTOR;
      this.send(encodeSyncStep1(this.spec.wire, this.spec.docName, sv));
    });
  }

  /** Every received count from these writers is at least what they sent. */
  hasAll(sent: ReadonlyMap<number, number>, writers: readonly number[]): boolean {
    for (const w of writers) {
      if (w === this.spec.writer) continue;
      if ((this.received.get(w) ?? 0) < (sent.get(w) ?? 0)) return false;
    }
    return true;
  }

  /** A digest of every file's text (convergence: every full client of a room must agree). */
  digest(): { digest: string; length: number } {
    if (!this.doc || this.spec.mode !== 'full') return { digest: '', length: 0 };
    const files = this.doc.getMap<Y.Text>('files');
    const parts: string[] = [];
    for (const path of [...files.keys()].sort()) parts.push(`${path}\n${files.get(path)?.toString() ?? ''}`);
    const all = parts.join('\u0000');
    return { digest: fnv1a(all), length: all.length };
  }

  /** Markers present in the edit file's text (what a server kept). */
  markers(): { writer: number; seq: number }[] {
    return markersInText(this.text?.toString() ?? '').map(({ writer, seq }) => ({ writer, seq }));
  }

  close(): Promise<void> {
    this.closing = true;
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      // A server that vanished never completes the close handshake: cut the socket after a moment.
      const timer = setTimeout(() => ws.terminate(), 1000);
      timer.unref();
      ws.close(1000);
    }).finally(() => this.doc?.destroy());
  }
}

function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
