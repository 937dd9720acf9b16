import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';

/**
 * PERF-76: the `fetch` the OpenAI SDK is handed for the model's streams, built on `node:http`. Node's own
 * `fetch` (undici) delivers the body through a WHATWG ReadableStream: every network read of a model stream
 * (~1,000 a second while a model streams fast) goes through its controller, promises and queue before our
 * SSE reader sees it. Here the SDK still sends the request (headers, auth, timeout, status errors) and gets a
 * standard `Response`, but the response's Node stream is kept beside it: `takeNodeBody` hands it to the SSE
 * reader, which takes everything that arrived since its last read in one chunk (`readable.read()`).
 *
 * Written here, not taken from a library: it is a thin adapter over Node's own HTTP client, which the SDK
 * cannot be given directly (it wants `fetch`), and the libraries that offer `fetch` over `node:http` wrap
 * the body in a stream of their own again. Redirects are not followed (an API endpoint that redirects a POST
 * is answered with the redirect, which the SDK reports as an error). Anything this does not carry (a
 * `Request` object, a streamed or form body) goes to the global `fetch` unchanged.
 */
export type NodeHttpFetch = typeof globalThis.fetch;

interface Pending {
  stream: Readable;
  /** the Response's own body began to be read: the Node stream is no longer ours to hand out */
  started: boolean;
}

const bodies = new WeakMap<Response, Pending>();
const agents = {
  http: new http.Agent({ keepAlive: true }),
  https: new https.Agent({ keepAlive: true }),
};
/** the most one read of a body takes: a backlog of a fast model comes in few reads, and no read is unbounded */
export const READ_BYTES = 64 * 1024;
/** statuses whose Response must have a null body */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * The response's body as a Node stream, once, if `response` came from `nodeHttpFetch` and nobody read its
 * body yet; null otherwise (read `response.body` then).
 */
export function takeNodeBody(response: Response): Readable | null {
  const pending = bodies.get(response);
  if (!pending || pending.started) return null;
  bodies.delete(response);
  return pending.stream;
}

export const nodeHttpFetch: NodeHttpFetch = async (input, init) => {
  const body = init?.body;
  const plainBody =
    body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
  if (input instanceof Request || !plainBody) return globalThis.fetch(input, init);
  const url = new URL(String(input));
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return globalThis.fetch(input, init);
  const signal = init?.signal ?? null;
  signal?.throwIfAborted();
  const headers: Record<string, string> = {};
  for (const [name, value] of new Headers(init?.headers)) headers[name] = value;
  // The stream is read as it comes: no compression asked for (a server may still send it, see below).
  headers['accept-encoding'] ??= 'identity';
  if (body !== undefined && body !== null) headers['content-length'] = String(Buffer.byteLength(body));

  const secure = url.protocol === 'https:';
  const options: http.RequestOptions & { highWaterMark: number } = {
    method: init?.method ?? 'GET',
    headers,
    agent: secure ? agents.https : agents.http,
    // A read takes up to this much of what arrived since the last one (Node's default is 16 KB); Node's
    // client takes the option (its socket's and the response's buffer), its type declarations lack it.
    highWaterMark: READ_BYTES,
  };
  const request = (secure ? https : http).request(url, options);
  let incoming: IncomingMessage | null = null;
  const abort = () => {
    const reason = abortReason(signal);
    incoming?.destroy(reason);
    request.destroy(reason);
  };
  signal?.addEventListener('abort', abort, { once: true });
  try {
    incoming = await new Promise<IncomingMessage>((resolve, reject) => {
      request.once('response', resolve);
      request.once('error', reject);
      request.end(body ?? undefined);
    });
  } catch (err) {
    signal?.removeEventListener('abort', abort);
    throw err;
  }
  // Later errors of the request (a reset mid-body) reach the body's reader through the response.
  request.on('error', () => undefined);
  // An abort after the headers ends the body: its reader sees the abort as its error.
  incoming.once('close', () => signal?.removeEventListener('abort', abort));
  return toResponse(incoming, decoded(incoming));
};

function abortReason(signal: AbortSignal | null): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  return new DOMException('This operation was aborted', 'AbortError');
}

/** The body as sent, or decompressed when the server compressed it though asked not to. */
function decoded(incoming: IncomingMessage): Readable {
  const encoding = String(incoming.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib.createGunzip()
      : encoding === 'deflate'
        ? zlib.createInflate()
        : encoding === 'br'
          ? zlib.createBrotliDecompress()
          : null;
  if (decoder === null) return incoming;
  incoming.on('error', (err) => decoder.destroy(err));
  decoder.on('close', () => incoming.destroy());
  return incoming.pipe(decoder);
}

function toResponse(incoming: IncomingMessage, stream: Readable): Response {
  const status = incoming.statusCode ?? 0;
  const headers = new Headers();
  const raw = incoming.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  const init = { status, statusText: incoming.statusMessage ?? '', headers };
  if (NULL_BODY.has(status) || status < 200 || status > 599) {
    stream.destroy();
    return new Response(null, { ...init, status: status >= 200 && status <= 599 ? status : 502 });
  }
  const pending: Pending = { stream, started: false };
  // The standard body, for whoever reads the Response itself (the SDK reads an error's text): made from the
  // Node stream only when first read (highWaterMark 0: nothing is pulled before), so that a stream handed
  // out by takeNodeBody has one reader.
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  const webBody = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        pending.started = true;
        reader ??= (Readable.toWeb(stream) as ReadableStream<Uint8Array>).getReader();
        const { value, done } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel(reason) {
        pending.started = true;
        if (reader) await reader.cancel(reason);
        else stream.destroy();
      },
    },
    { highWaterMark: 0 },
  );
  const response = new Response(webBody, init);
  bodies.set(response, pending);
  return response;
}
