/**
 * The transport the room core needs from a WebSocket: the ws adapter in server/sync implements it, and
 * tests can use an in-memory twin. Binary frames only.
 */
export interface RoomSocket {
  send(data: Uint8Array): void;
  close(code: number, reason: string): void;
  /** bytes queued but not yet written to the network (slow-reader detection) */
  readonly bufferedAmount: number;
}
