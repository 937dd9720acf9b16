import type { ClientSpec } from '../driver/bench-client.ts';
import type { Wire } from '../driver/wire.ts';
import type { ServerProcess } from './server-process.ts';

export const contenderNames = ['sparkroom', 'y-websocket-server', 'hocuspocus'] as const;
export type ContenderName = (typeof contenderNames)[number];

/** A room on a running contender and one credential per person the scenario planned for. */
export interface RoomHandle {
  roomId: string;
  /** per person slot: Sparkroom's personal token, '' for servers without auth */
  tokens: string[];
}

export interface StartOptions {
  /** the server's storage directory; reused across a restart */
  dataDir: string;
  /** contender-specific environment (Sparkroom limits) */
  env?: Record<string, string>;
  /** extra node flags (a CPU profile run) */
  nodeFlags?: string[];
  /** how long the process may take to listen (default 90 s) */
  startTimeoutMs?: number;
}

export interface ClientRole {
  key: string;
  mode: ClientSpec['mode'];
  writer: number | null;
  tag: string;
  trackSeen?: boolean;
}

export interface RunningContender {
  readonly name: ContenderName;
  readonly process: ServerProcess;
  /** creates an empty room with `people` credentials */
  createRoom(people: number): Promise<RoomHandle>;
  /** the spec for person `slot` of `room` connecting with `role` */
  client(room: RoomHandle, slot: number, role: ClientRole): ClientSpec;
  /**
   * How many documents the server holds in memory now, each stored before it left (cold-load waits for 0
   * once everyone left); absent for a server that never unloads one (@y/websocket-server keeps each until
   * it exits).
   */
  loadedDocs?(): Promise<number>;
}

/** One server under test, started by the harness in its own process on 127.0.0.1, port 0. */
export interface Contender {
  readonly name: ContenderName;
  readonly wire: Wire;
  /** what the server keeps across a restart, in the words of its own defaults */
  readonly storage: string;
  start(opts: StartOptions): Promise<RunningContender>;
}
