/**
 * Keystroke fan-out from a sender that compresses every frame (as Chromium does once permessage-deflate is
 * agreed: it deflates even a one-character update) against a sender that sends plain frames, both in one
 * room of one Sparkroom server, taking turns, to one plain watcher. Usage: npx tsx bench/compressed-keystroke.ts [keys]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../schema/protocol.ts';
import { sparkroomContender } from './contenders/sparkroom-contender.ts';
import { delay } from './lib/clock.ts';
import { LatencyHistogram } from './lib/latency-histogram.ts';

const keys = Number(process.argv[2] ?? 200);
const running = await sparkroomContender.start({ dataDir: mkdtempSync(join(tmpdir(), 'sr-ck-')) });
const room = await running.createRoom(3);
const url = `ws://127.0.0.1:${running.process.port}/sync`;

function socketClass(compressAll: boolean): typeof globalThis.WebSocket {
  return class extends WebSocket {
    constructor(address: string) {
      super(address, { perMessageDeflate: compressAll ? { threshold: 0 } : false });
    }
  } as unknown as typeof globalThis.WebSocket;
}
async function open(
  token: string,
  compressAll: boolean,
): Promise<{ doc: Y.Doc; provider: WebsocketProvider }> {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(url, room.roomId, doc, {
    WebSocketPolyfill: socketClass(compressAll),
    params: { token },
    disableBc: true,
  });
  await new Promise<void>((resolve) => provider.once('sync', () => resolve()));
  return { doc, provider };
}
const plain = await open(room.tokens[0]!, false);
const deflating = await open(room.tokens[1]!, true);
const watcher = await open(room.tokens[2]!, false);
plain.doc.getMap<Y.Text>(CODE_FILES_KEY).set('a.ts', new Y.Text(''));
await delay(500);
const hist = { plain: new LatencyHistogram(), deflating: new LatencyHistogram() };
let pending: { at: number; tag: 'plain' | 'deflating'; len: number } | null = null;
const wtext = () => watcher.doc.getMap<Y.Text>(CODE_FILES_KEY).get('a.ts');
watcher.doc.on('update', () => {
  const t = wtext();
  if (pending && t && t.length >= pending.len) {
    hist[pending.tag].recordMs(performance.now() - pending.at);
    pending = null;
  }
});
for (let i = 0; i < keys; i++) {
  const tag = i % 2 === 0 ? 'plain' : 'deflating';
  const who = tag === 'plain' ? plain : deflating;
  const text = who.doc.getMap<Y.Text>(CODE_FILES_KEY).get('a.ts')!;
  pending = { at: performance.now(), tag, len: text.length + 1 };
  text.insert(text.length, 'x');
  await delay(40);
}
for (const [tag, h] of Object.entries(hist)) {
  const s = h.summary();
  console.log(
    `${tag}: n ${s.count} p50 ${s.p50.toFixed(2)} p90 ${s.p90.toFixed(2)} p99 ${s.p99.toFixed(2)} ms`,
  );
}
for (const c of [plain, deflating, watcher]) c.provider.destroy();
await running.process.stop();
