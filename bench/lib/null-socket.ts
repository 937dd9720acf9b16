import type { RoomSocket, SharedMessage } from '../../server/rooms/room-socket.ts';

/** A room socket that counts what it is sent and drops it: the in-process benches measure the room core alone. */
export class NullSocket implements RoomSocket {
  bytes = 0;
  bufferedAmount = 0;
  send(data: Uint8Array): void {
    this.bytes += data.byteLength;
  }
  sendShared(message: SharedMessage): void {
    this.bytes += message.data.byteLength;
  }
  close(): void {}
}
