import { randomBytes } from 'node:crypto';
import type { Wire } from '../driver/wire.ts';
import type { Contender, ContenderName, RoomHandle, RunningContender, StartOptions } from './contender.ts';
import { repoRoot, ServerProcess } from './server-process.ts';

export interface PeerDefinition {
  name: ContenderName;
  wire: Wire;
  storage: string;
  /** launcher under bench/peers/ that prints "bench peer listening on http://HOST:PORT" */
  entry: string;
  /** extra environment for the launcher (a storage file, say) */
  env?: (opts: StartOptions) => Record<string, string>;
  /** the WebSocket URL a client of `roomId` connects to */
  url: (port: number, roomId: string) => string;
  /** the launcher answers `{type:'documents'}` over IPC with how many documents it holds (it unloads them) */
  countsDocs?: boolean;
}

/**
 * A reference server started from its launcher. Peers have no accounts: a room is a fresh document
 * name and every client connects without a token.
 */
export function peerContender(def: PeerDefinition): Contender {
  return {
    name: def.name,
    wire: def.wire,
    storage: def.storage,
    async start(opts: StartOptions): Promise<RunningContender> {
      const proc = await ServerProcess.start({
        name: def.name,
        entry: def.entry,
        cwd: repoRoot,
        env: { ...def.env?.(opts), ...opts.env },
        ready: /bench peer listening on http:\/\/[^\s]+:(\d+)/,
        nodeFlags: opts.nodeFlags,
      });
      return {
        name: def.name,
        process: proc,
        createRoom: async (people: number): Promise<RoomHandle> => ({
          roomId: `room-${randomBytes(6).toString('hex')}`,
          tokens: Array.from({ length: people }, () => ''),
        }),
        client: (room, _slot, role) => ({
          ...role,
          url: def.url(proc.port, room.roomId),
          wire: def.wire,
          docName: room.roomId,
          token: '',
        }),
        ...(def.countsDocs ? { loadedDocs: () => proc.documents() } : {}),
      };
    },
  };
}
