import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Contender, RoomHandle, RunningContender, StartOptions } from './contender.ts';
import { repoRoot, ServerProcess } from './server-process.ts';

/**
 * @hocuspocus/server 3.4.4 with @hocuspocus/extension-sqlite on a file and its default configuration
 * (stores the whole document 2 s after the last change, at most 10 s late; unloads a document when its
 * last connection leaves). Clients speak its multiplexed framing: document name first, auth frame first.
 */
export const hocuspocusContender: Contender = {
  name: 'hocuspocus',
  wire: 'hocuspocus',
  storage: 'SQLite file, whole-document store debounced 2 s (max 10 s) after changes (default)',
  async start(opts: StartOptions): Promise<RunningContender> {
    const proc = await ServerProcess.start({
      name: 'hocuspocus',
      entry: 'bench/peers/hocuspocus-main.ts',
      cwd: repoRoot,
      env: { BENCH_SQLITE_FILE: join(opts.dataDir, 'hocuspocus.sqlite'), ...opts.env },
      ready: /bench peer listening on http:\/\/[^\s]+:(\d+)/,
      nodeFlags: opts.nodeFlags,
    });
    return {
      name: 'hocuspocus',
      process: proc,
      createRoom: async (people: number): Promise<RoomHandle> => ({
        roomId: `room-${randomBytes(6).toString('hex')}`,
        tokens: Array.from({ length: people }, () => ''),
      }),
      client: (room, _slot, role) => ({
        ...role,
        url: `ws://127.0.0.1:${proc.port}`,
        wire: 'hocuspocus',
        docName: room.roomId,
        token: '',
      }),
    };
  },
};
