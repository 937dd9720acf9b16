import { peerContender } from './peer-contender.ts';

/**
 * The reference server, @y/websocket-server 0.1.1, with its default: documents in memory only (its
 * LevelDB persistence is opt-in through YPERSISTENCE, which the bench leaves unset, as its README runs it).
 */
export const yWebsocketServerContender = peerContender({
  name: 'y-websocket-server',
  wire: 'y-websocket',
  storage: 'memory only (default; a restart loses every document)',
  entry: 'bench/peers/y-websocket-server-main.ts',
  url: (port, roomId) => `ws://127.0.0.1:${port}/${roomId}`,
});
