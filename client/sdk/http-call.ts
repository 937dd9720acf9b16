import { SparkroomError } from './sparkroom-error.ts';

/** The request a JSON call sends: its body as JSON, the bearer token when there is one. */
export function jsonRequest(method: string, body: unknown, bearer: string | null | undefined): RequestInit {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  return { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) };
}

/** One call to the server: a network failure is SparkroomError `network`, a non-2xx answer the server's error. */
export async function fetchOrThrow(fetchFn: typeof fetch, url: string, init: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetchFn(url, init);
  } catch (err) {
    throw new SparkroomError('network', 'cannot reach the Sparkroom server', 0, { cause: err });
  }
  if (!res.ok) throw await SparkroomError.fromResponse(res);
  return res;
}

/** The JSON body of a 2xx answer (undefined for 204); anything else is SparkroomError `bad_response`. */
export async function readJson<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  try {
    return (await res.json()) as T;
  } catch (err) {
    throw new SparkroomError(
      'bad_response',
      'the server answered with something other than JSON',
      res.status,
      {
        cause: err,
      },
    );
  }
}
