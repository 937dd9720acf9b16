import { join } from 'node:path';
import { peerContender } from './peer-contender.ts';

/**
 * @hocuspocus/server 3.4.4 with @hocuspocus/extension-sqlite on a file and its default configuration
 * (stores the whole document 2 s after the last change, at most 10 s late; unloads a document when its
 * last connection leaves). Clients speak its multiplexed framing: document name first, auth frame first.
 */
export const hocuspocusContender = peerContender({
  name: 'hocuspocus',
  wire: 'hocuspocus',
  storage: 'SQLite file, whole-document store debounced 2 s (max 10 s) after changes (default)',
  entry: 'bench/peers/hocuspocus-main.ts',
  env: (opts) => ({ BENCH_SQLITE_FILE: join(opts.dataDir, 'hocuspocus.sqlite') }),
  // One socket carries every document; the document name travels in each frame.
  url: (port) => `ws://127.0.0.1:${port}`,
  countsDocs: true,
});
