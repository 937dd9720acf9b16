import { connect, createServer, type Socket } from 'node:net';

/**
 * A loopback TCP forwarder with a stable address in front of a server that restarts on a new port 0.
 * Stock y-websocket clients keep one URL for life, so restart tests point them here and retarget the
 * proxy at the new process: from the client's side it is one server that went away and came back.
 */
export interface TcpProxy {
  /** http://127.0.0.1:port */
  url: string;
  /** ws://127.0.0.1:port/sync */
  syncUrl: string;
  /** connections accepted so far (including those refused while no target was set) */
  readonly accepted: number;
  /** forward new connections to this port, or refuse them (reset) while null */
  setTarget(port: number | null): void;
  /** cuts every open connection at once, as a crashed server or a dropped network would */
  cutAll(): void;
  /**
   * Stops forwarding without closing anything, as a server that hangs (accepts, never answers) or a network
   * that silently drops packets looks to a client: every connection, and each one opened meanwhile, stays
   * open and its bytes wait (paused sockets: TCP's own flow control holds them) until thaw().
   */
  freeze(): void;
  /** forwards again, in order, what freeze() held */
  thaw(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number | null): Promise<TcpProxy> {
  let target = targetPort;
  let accepted = 0;
  let frozen = false;
  const open = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  // pipe() resumes its source, so a frozen pair is unpiped and paused, and piped again on thaw.
  const flow = ([client, upstream]: [Socket, Socket]) => {
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const hold = ([client, upstream]: [Socket, Socket]) => {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  };
  const track = (s: Socket) => {
    open.add(s);
    s.once('close', () => open.delete(s));
    // A reset on either side is expected here (restarts, cuts); 'close' follows and cleans up.
    s.on('error', () => {});
  };
  const server = createServer((client) => {
    accepted++;
    track(client);
    if (target === null) {
      client.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    track(upstream);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    if (frozen) hold(pair);
    else flow(pair);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => {
      pairs.delete(pair);
      client.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    syncUrl: `${url.replace(/^http/, 'ws')}/sync`,
    get accepted() {
      return accepted;
    },
    setTarget(port) {
      target = port;
    },
    cutAll() {
      for (const s of [...open]) s.destroy();
    },
    freeze() {
      frozen = true;
      for (const pair of pairs) hold(pair);
    },
    thaw() {
      frozen = false;
      for (const pair of pairs) {
        flow(pair);
        pair[0].resume();
        pair[1].resume();
      }
    },
    async close() {
      target = null;
      for (const s of [...open]) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
