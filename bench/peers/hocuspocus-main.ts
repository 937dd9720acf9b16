import { SQLite } from '@hocuspocus/extension-sqlite';
import { Server } from '@hocuspocus/server';

/**
 * Hocuspocus as its docs set it up: `new Server({ extensions: [new SQLite({ database })] })` with default
 * debounce and unload settings, on 127.0.0.1 port 0, printing the port. Its own signal handling
 * (stopOnSignals) stores and unloads documents on SIGTERM.
 */
// The bench peers are separate programs; reading their settings here mirrors how each is deployed.
const database = process.env.BENCH_SQLITE_FILE;
if (!database) throw new Error('BENCH_SQLITE_FILE must name the SQLite file');

const server = new Server({
  port: 0,
  address: '127.0.0.1',
  quiet: true,
  extensions: [new SQLite({ database })],
});
await server.listen();
console.log(`bench peer listening on http://127.0.0.1:${server.address.port}`);
// The bench asks how many documents are loaded (cold-load waits until the ones everyone left are stored and
// unloaded, instead of a fixed pause); answering adds no work otherwise.
process.on('message', (msg: { type?: string } | null) => {
  if (msg?.type === 'documents') {
    process.send?.({ type: 'documents', count: server.hocuspocus.getDocumentsCount() });
  }
});
// Like the memory probe's, the listener must not keep alive a server that would otherwise exit.
process.channel?.unref();
