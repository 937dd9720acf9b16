import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { ModelRequest } from '../../server/agent/model-provider.ts';
import { createProvider, type ProviderDeps } from '../../server/agent/providers/create-provider.ts';
import type { SparkApi } from '../../server/config.ts';
import type { SelfSignedCert } from './self-signed-cert.ts';

/**
 * What the tests of the model stream's transport share (PERF-76, PERF-77, PERF-106): a hand-written model
 * server (plain or TLS) whose handler writes the stream packet by packet, the provider pointed at it through
 * the real OpenAI SDK, and the Chat Completions events it sends.
 */

/** One turn asked of the model; its content does not matter to a transport test. */
export const streamRequest: ModelRequest = {
  model: 'm',
  instructions: 'You are Spark.',
  messages: [{ role: 'user', content: 'go' }],
  maxOutputTokens: 100_000,
  sessionKey: 'room-1',
};

/** A Chat Completions stream event carrying `text`. */
export const chatChunk = (text: string): string =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text } }] })}\n\n`;

/** The events that end a Chat Completions stream. */
export const chatFinish = `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`;

/** The provider a run would use for `url` (the SDK sends the request; PERF-76's fetch reads it). */
export function streamProvider(api: SparkApi, url: string, deps: ProviderDeps = {}) {
  const created = createProvider(
    {
      api,
      baseURL: url,
      apiKey: 'k',
      model: 'm',
      maxOutputTokens: 100_000,
      idleTimeoutMs: 60_000,
      maxRunOutputBytes: 512 * 1024,
      maxRunTokens: 100_000,
      maxRunMs: 600_000,
      maxRunHunks: 200,
    },
    deps,
  );
  if (!created) throw new Error('no provider');
  return created;
}

/** Answers one request of the model API. */
export type ModelHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The model servers a test file started; `closeAll` in its afterEach. */
export class ModelStreamServers {
  private readonly servers: Server[] = [];

  /** Listens on 127.0.0.1 (TLS with `tls`) and returns the server's origin, e.g. `http://127.0.0.1:PORT`. */
  async listen(handler: ModelHandler, tls?: SelfSignedCert): Promise<string> {
    const server: Server = tls
      ? createTlsServer({ key: tls.key, cert: tls.cert }, handler)
      : createServer(handler);
    this.servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return `${tls ? 'https' : 'http'}://127.0.0.1:${address.port}`;
  }

  async closeAll(): Promise<void> {
    const servers = this.servers.splice(0);
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}
