import { afterAll, beforeAll } from 'vitest';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { CODE_FILES_KEY, REVIEW_SUFFIX } from '../../schema/protocol.ts';
import { once, until } from './wait.ts';

/** A stock y-websocket client in Node (ws as the WebSocket), as a real user's editor would hold it. */
export interface YClient {
  doc: Y.Doc;
  provider: WebsocketProvider;
  files: Y.Map<Y.Text>;
  /** text of a file ('' when absent) */
  text(path: string): string;
  /** creates the file if needed and runs `fn` on its Y.Text in one transaction */
  edit(path: string, fn: (text: Y.Text) => void): void;
  /** resolves when the file's text satisfies the predicate */
  waitForText(path: string, predicate: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  /** resolves with the close event when the server closes the socket with a code (within `timeoutMs`) */
  nextClose(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  destroy(): void;
}

export function connectClient(
  syncUrl: string,
  roomId: string,
  token: string,
  /** `WebSocket`: another ws client class (one that reads the wire, or offers no compression) */
  opts: { review?: boolean; connect?: boolean; WebSocket?: typeof WebSocket } = {},
): YClient {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(syncUrl, opts.review ? `${roomId}/${REVIEW_SUFFIX}` : roomId, doc, {
    WebSocketPolyfill: (opts.WebSocket ?? WebSocket) as unknown as typeof globalThis.WebSocket,
    params: { token },
    disableBc: true,
    connect: opts.connect ?? true,
    maxBackoffTime: 200,
  });
  const files = doc.getMap<Y.Text>(CODE_FILES_KEY);
  const text = (path: string) => files.get(path)?.toString() ?? '';
  return {
    doc,
    provider,
    files,
    text,
    edit(path, fn) {
      doc.transact(() => {
        let t = files.get(path);
        if (!t) {
          t = new Y.Text();
          files.set(path, t);
        }
        fn(t);
      });
    },
    waitForText(path, predicate, timeoutMs) {
      return until(
        () => (predicate(text(path)) ? text(path) : undefined),
        (cb) => {
          doc.on('update', cb);
          return () => doc.off('update', cb);
        },
        timeoutMs,
        `text of ${path}`,
      ).catch((err: Error) => {
        // Say what the text was when the wait gave up: a CI log is all there is to read afterwards.
        throw new Error(`${err.message} (it was ${files.has(path) ? JSON.stringify(text(path)) : 'absent'})`);
      });
    },
    async nextClose(timeoutMs) {
      const [event] = await once<[CloseEvent | null]>(provider, 'connection-close', timeoutMs);
      return { code: event?.code ?? 0, reason: event?.reason ?? '' };
    },
    destroy() {
      provider.destroy();
      doc.destroy();
    },
  };
}

export async function whenSynced(client: YClient, timeoutMs = 10_000): Promise<void> {
  if (client.provider.synced) return;
  await once(client.provider, 'sync', timeoutMs);
}

/**
 * Each stock provider listens for process 'exit', so a suite that holds `count` of them at once raises the
 * process's listener limit for its duration: that many is expected there, not a leak, and the warning
 * stays meaningful everywhere else. Call it inside a describe block: it adds that block's hooks.
 */
export function allowStockClients(count: number): void {
  const maxListeners = process.getMaxListeners();
  beforeAll(() => {
    process.setMaxListeners(maxListeners + count);
  });
  afterAll(() => {
    process.setMaxListeners(maxListeners);
  });
}
