/**
 * The transport the room core needs from a WebSocket: the ws adapter in server/sync implements it, and
 * tests can use an in-memory twin. Binary frames only.
 */
export interface RoomSocket {
  send(data: Uint8Array): void;
  /**
   * Sends a message that goes to many sockets at once (a batch's broadcast, PERF-21). A transport that can
   * frames it once and keeps the frame on the message for the other sockets; without it `send` is used.
   */
  sendShared?(message: SharedMessage): void;
  /**
   * Sends a big message many sockets receive whole (a fresh joiner's base, PERF-150). A transport that
   * prepared its frame once (`DocEnv.prepareWhole`) writes that; without it `send` is used. Messages sent
   * after it still arrive after it.
   */
  sendWhole?(message: SharedMessage): void;
  close(code: number, reason: string): void;
  /**
   * Reads nothing more from a socket closed for a refused frame (SAFE-30, SAFE-136): a hostile client has
   * usually sent thousands more, and parsing them until the close handshake ends would cost the event loop
   * what the refusal saved. The ws transport stops its parser and discards what arrives; it does not pause
   * the TCP socket, which made later upgrades hang (SAFE-28).
   */
  stopReading?(): void;
  /** bytes queued but not yet written to the network (slow-reader detection) */
  readonly bufferedAmount: number;
}

/**
 * One message for many sockets (PERF-21): the y-websocket bytes, and the transport's wire frame of them once
 * the first socket has built it, so a room of a thousand costs one framing and a thousand writes.
 */
export class SharedMessage {
  readonly data: Uint8Array;
  /** the transport's encoded frame of `data`, set by the first socket that sends it */
  framed: Uint8Array | null = null;
  /** the transport's own prepared form of a message sent whole (PERF-150: its deflated frame), opaque here */
  prepared: unknown = null;

  constructor(data: Uint8Array) {
    this.data = data;
  }
}
