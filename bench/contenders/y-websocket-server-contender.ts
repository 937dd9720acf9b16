import { randomBytes } from 'node:crypto';
import type { Contender, RoomHandle, RunningContender, StartOptions } from './contender.ts';
import { repoRoot, ServerProcess } from './server-process.ts';

/**
 * The reference server, @y/websocket-server 0.1.1, with its default: documents in memory only (its
 * LevelDB persistence is opt-in through YPERSISTENCE, which the bench leaves unset, as its README runs it).
 */
export const yWebsocketServerContender: Contender = {
  name: 'y-websocket-server',
  wire: 'y-websocket',
  storage: 'memory only (default; a restart loses every document)',
  async start(opts: StartOptions): Promise<RunningContender> {
    const proc = await ServerProcess.start({
      name: 'y-websocket-server',
      entry: 'bench/peers/y-websocket-server-main.ts',
      cwd: repoRoot,
      env: { ...opts.env },
      ready: /bench peer listening on http:\/\/[^\s]+:(\d+)/,
      nodeFlags: opts.nodeFlags,
    });
    return {
      name: 'y-websocket-server',
      process: proc,
      createRoom: async (people: number): Promise<RoomHandle> => ({
        roomId: `room-${randomBytes(6).toString('hex')}`,
        tokens: Array.from({ length: people }, () => ''),
      }),
      client: (room, _slot, role) => ({
        ...role,
        url: `ws://127.0.0.1:${proc.port}/${room.roomId}`,
        wire: 'y-websocket',
        docName: room.roomId,
        token: '',
      }),
    };
  },
};
