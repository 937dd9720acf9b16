import type { CreateRoomResponse, JoinResponse } from '../../schema/protocol.ts';
import type { Contender, RoomHandle, RunningContender, StartOptions } from './contender.ts';
import { repoRoot, ServerProcess } from './server-process.ts';

/** Fixed so tokens issued before a restart (durability) stay valid after it. */
const BENCH_SECRET = 'bench-secret-0123456789abcdef0123';

/** Sparkroom as a user runs it: `server/main.ts`, SQLite in the data directory, its default limits. */
export const sparkroomContender: Contender = {
  name: 'sparkroom',
  wire: 'y-websocket',
  storage: 'SQLite (WAL, synchronous=FULL), every update committed before broadcast',
  async start(opts: StartOptions): Promise<RunningContender> {
    const proc = await ServerProcess.start({
      name: 'sparkroom',
      entry: 'server/main.ts',
      cwd: repoRoot,
      env: {
        PORT: '0',
        HOST: '127.0.0.1',
        SPARKROOM_DATA: opts.dataDir,
        SPARKROOM_SECRET: BENCH_SECRET,
        LOG_LEVEL: 'warn',
        // Every bench client comes from 127.0.0.1: the per-address limits on creating rooms and joining
        // would stop the room setup, not measure anything.
        SPARKROOM_ROOMS_PER_ADDRESS_PER_HOUR: '1000000',
        SPARKROOM_JOINS_PER_ADDRESS_PER_HOUR: '1000000',
        SPARKROOM_MAX_ROOMS: '1000000',
        ...opts.env,
      },
      ready: /Sparkroom listening on http:\/\/[^\s"]+:(\d+)/,
      nodeFlags: opts.nodeFlags,
      startTimeoutMs: opts.startTimeoutMs,
    });
    const http = `http://127.0.0.1:${proc.port}`;
    const post = async <T>(path: string, body: unknown): Promise<T> => {
      const res = await fetch(http + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`sparkroom ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    let people = 0;
    return {
      name: 'sparkroom',
      process: proc,
      async createRoom(count: number): Promise<RoomHandle> {
        const room = await post<CreateRoomResponse>('/api/rooms', { name: 'bench' });
        const tokens: string[] = [];
        // Joins are cheap but not free: a few at a time keeps room setup off the measured windows' heels.
        for (let i = 0; i < count; i += 16) {
          const batch = Array.from({ length: Math.min(16, count - i) }, () =>
            post<JoinResponse>(`/api/rooms/${room.roomId}/join`, {
              invite: room.invites.editor,
              name: `person-${++people}`,
            }),
          );
          for (const joined of await Promise.all(batch)) tokens.push(joined.token);
        }
        return { roomId: room.roomId, tokens };
      },
      client: (room, slot, role) => ({
        ...role,
        url: `ws://127.0.0.1:${proc.port}/sync/${room.roomId}?token=${encodeURIComponent(room.tokens[slot] ?? '')}`,
        wire: 'y-websocket',
        docName: room.roomId,
        token: '',
      }),
      // ROOM-4: a room unloads once idle, after its writes are stored; /metrics counts those still loaded.
      async loadedDocs(): Promise<number> {
        const text = await (await fetch(`${http}/metrics`)).text();
        const loaded = /^sparkroom_rooms_loaded (\d+)$/m.exec(text);
        if (!loaded) throw new Error('sparkroom /metrics has no sparkroom_rooms_loaded');
        return Number(loaded[1]);
      },
    };
  },
};
