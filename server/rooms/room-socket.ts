/**
 * The transport the room core needs from a WebSocket: the ws adapter in server/sync implements it, and
 * tests can use an in-memory twin. Binary frames only.
 */
export interface RoomSocket {
  send(data: Uint8Array): void;
  close(code: number, reason: string): void;
  /**
   * Reads nothing more from a socket closed for a refused frame (SAFE-30): a hostile client has usually
   * sent thousands more, and parsing them until the close handshake ends would cost the event loop what
   * the refusal saved. The transport cuts the socket after its close grace period. The ws transport drops
   * such frames unread rather than pausing the TCP socket, which made later upgrades hang (SAFE-28).
   */
  stopReading?(): void;
  /** bytes queued but not yet written to the network (slow-reader detection) */
  readonly bufferedAmount: number;
}
