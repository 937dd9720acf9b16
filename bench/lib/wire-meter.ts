import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of a server that counts the bytes the server sends through it: what a client
 * really receives on the wire, HTTP and WebSocket frames as sent (compressed when permessage-deflate is
 * in use). Chromium's DevTools only report a WebSocket frame's payload after inflation, and capturing
 * those payloads costs the page itself seconds on a 15 MB frame.
 */
export class WireMeter {
  /** bytes the server sent through the relay since the last reset */
  received = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, host = '127.0.0.1'): Promise<WireMeter> {
    let meter: WireMeter | null = null;
    const server = createServer((client) => {
      const upstream = connect(targetPort, host);
      meter?.sockets.add(client).add(upstream);
      upstream.on('data', (d: Buffer) => {
        if (meter) meter.received += d.length;
      });
      client.pipe(upstream);
      upstream.pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
        meter?.sockets.delete(client);
        meter?.sockets.delete(upstream);
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    meter = new WireMeter(server, (server.address() as { port: number }).port);
    return meter;
  }

  reset(): void {
    this.received = 0;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
