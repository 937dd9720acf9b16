import type { SparkCheckReport, SparkCheckStep } from '../../schema/protocol.ts';
import type { AgentConfig } from '../config.ts';
import type { AgentEvent } from './model-provider.ts';
import { createProvider, type ProviderDeps } from './providers/create-provider.ts';

export interface ConnectionCheckDeps {
  fetch?: typeof globalThis.fetch;
  /** the whole check, ms (default 30 s): a model that says nothing for this long has failed it */
  timeoutMs?: number;
  /** passed to the provider (tests substitute the WebSocket opener) */
  provider?: Omit<ProviderDeps, 'fetch'>;
}

/**
 * Tokens spread over less than this give no speed. The check asks for 16 tokens: at 1,000 tokens/s they span
 * 15 ms, where a loaded machine's scheduling is most of the figure (a reply the fake model wrote in one go,
 * read in pieces 3 ms apart over the WebSocket transport, read 2,323 tokens/s in a full test run at load 15).
 */
const MIN_TIMED_SPREAD_MS = 50;

/**
 * Counts the event-loop turns in which text arrived. Deltas parsed from one network read reach the check in
 * one turn (the provider hands them over through promises, never through timers), however long the process
 * is descheduled between two of them; so a wall-clock gap inside one turn says nothing about the model's pace.
 */
function arrivalTurns() {
  let turns = 0;
  let open = false;
  return {
    note() {
      if (open) return;
      open = true;
      turns += 1;
      setImmediate(() => {
        open = false;
      });
    },
    get count() {
      return turns;
    },
  };
}

/** The tiny request: a handful of output tokens, enough to see a stream and time it. */
const PROBE_PROMPT = 'Reply with the words: Spark is connected.';
const PROBE_MAX_TOKENS = 16;

type Status = SparkCheckReport['steps'][number]['status'];

/**
 * The connection check behind `sparkroom doctor` and the owner's "Test Spark" button (OPS-10): calls the
 * configured model the way a run does (the same provider, so the same API mode, key and URL) with a tiny
 * streaming request, and says in plain words which step failed and what to change. Never throws.
 *
 * Steps: configured -> reachable -> key -> api -> model -> streaming. `GET /models` comes first because it
 * tells an unreachable server, a refused key and an unknown model apart before anything is generated; the
 * streaming request then proves the API mode and measures time to first token and tokens per second.
 */
export async function checkConnection(
  config: AgentConfig,
  deps: ConnectionCheckDeps = {},
): Promise<SparkCheckReport> {
  const steps = new Map<SparkCheckStep, { status: Status; detail: string }>();
  const set = (step: SparkCheckStep, status: Status, detail: string) => steps.set(step, { status, detail });
  let advice: string | null = null;
  const report = (extra: Partial<SparkCheckReport> = {}): SparkCheckReport => {
    const order: SparkCheckStep[] = ['configured', 'reachable', 'key', 'api', 'model', 'streaming'];
    const list = order.map((step) => ({
      step,
      ...(steps.get(step) ?? { status: 'skipped' as const, detail: 'not checked (an earlier step failed)' }),
    }));
    return {
      ok: list.every((s) => s.status === 'ok' || s.status === 'unknown'),
      api: config.api,
      baseURL: config.baseURL,
      model: config.model,
      steps: list,
      ttftMs: null,
      tokensPerSecond: null,
      outputTokens: null,
      advice,
      ...extra,
    };
  };

  if (config.baseURL === null) {
    set('configured', 'failed', 'No model is configured.');
    advice = 'Set SPARK_BASE_URL (and SPARK_API_KEY for a hosted API), then restart the server.';
    return report();
  }
  const base = config.baseURL.replace(/\/$/, '');
  set('configured', 'ok', `Spark uses ${apiName(config.api)} at ${base}, model ${config.model}.`);

  const timeoutMs = deps.timeoutMs ?? 30_000;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('timeout')), timeoutMs);
  const fetchFn = deps.fetch ?? globalThis.fetch;
  try {
    // 1. The model list: reachability, the key, and whether the model exists.
    const listed = await listModels(fetchFn, base, config.apiKey, controller.signal);
    if (listed.kind === 'unreachable') {
      set('reachable', 'failed', `Could not reach ${base}: ${listed.reason}.`);
      advice = `Check that the model server is running and that SPARK_BASE_URL (${base}) is the address it listens on, with /v1 when it has one.`;
      return report();
    }
    set('reachable', 'ok', `The model server at ${base} answered.`);
    if (listed.kind === 'refused') {
      set('key', 'failed', `It refused the API key (${listed.status}).`);
      advice = config.apiKey
        ? 'Check SPARK_API_KEY: the server does not accept it.'
        : 'This server needs an API key: set SPARK_API_KEY.';
      return report();
    }
    if (listed.kind === 'list') {
      if (listed.ids.includes(config.model)) set('model', 'ok', `Model ${config.model} is available.`);
      else {
        const some = listed.ids.slice(0, 8).join(', ');
        set(
          'model',
          'failed',
          `The server does not list model ${config.model}${listed.ids.length > 0 ? ` (it has: ${some}${listed.ids.length > 8 ? ', …' : ''})` : ''}.`,
        );
        advice = `Set SPARK_MODEL to a model the server has${listed.ids[0] ? `, like ${listed.ids[0]}` : ''}.`;
      }
    } else {
      set(
        'model',
        'unknown',
        `The server has no model list (${listed.status}); the request below tries the model.`,
      );
    }

    // 2. The tiny streaming request, through the provider a run uses.
    const seen: { contentType: string | null } = { contentType: null };
    const recordingFetch: typeof globalThis.fetch = async (input, init) => {
      const res = await fetchFn(input, init);
      seen.contentType = res.headers.get('content-type');
      return res;
    };
    const provider = createProvider(
      { ...config, maxOutputTokens: PROBE_MAX_TOKENS },
      { ...deps.provider, fetch: recordingFetch, retry: { rateLimitRetries: 0, transientRetries: 0 } },
    );
    if (provider === null) return report();
    const sentAt = performance.now();
    let firstAt: number | null = null;
    let lastAt: number | null = null;
    let deltas = 0;
    const turns = arrivalTurns();
    let outputTokens: number | null = null;
    let end: AgentEvent | null = null;
    let started = false;
    try {
      for await (const event of provider.stream(
        {
          model: config.model,
          instructions: 'You are a connection test. Answer in a few words.',
          messages: [{ role: 'user', content: PROBE_PROMPT }],
          maxOutputTokens: PROBE_MAX_TOKENS,
          sessionKey: 'sparkroom-connection-check',
        },
        controller.signal,
      )) {
        if (event.type === 'start') started = true;
        else if (event.type === 'text-delta') {
          const now = performance.now();
          firstAt ??= now;
          lastAt = now;
          deltas += event.tokens ?? 1;
          turns.note();
        } else if (event.type === 'usage') outputTokens = event.outputTokens;
        else end = event;
      }
    } finally {
      await provider.close();
    }

    if (controller.signal.aborted) {
      const what = started ? 'started a reply but did not finish it' : 'did not answer';
      markRest(set, steps, 'failed', `The model ${what} within ${Math.round(timeoutMs / 1000)} s.`);
      advice = 'The model is too slow or stalled: check the model server and its load.';
      return report();
    }
    if (end?.type === 'error') {
      advice = classifyError(end, config, base, set, steps, seen.contentType);
      return report();
    }
    set('key', 'ok', config.apiKey ? 'The API key was accepted.' : 'No API key needed.');
    set('api', 'ok', `It accepts ${apiName(config.api)}.`);
    if (!steps.has('model') || steps.get('model')?.status !== 'failed') {
      set('model', 'ok', `Model ${config.model} answered.`);
    } else {
      // Listed or not, the model answered: some servers alias names (Ollama's `llama3` for `llama3:latest`).
      set('model', 'ok', `Model ${config.model} answered (the server's list names it differently).`);
      advice = null;
    }
    if (firstAt === null || lastAt === null) {
      set(
        'streaming',
        'failed',
        seen.contentType && !seen.contentType.includes('event-stream')
          ? `The server answered with one ${seen.contentType.split(';')[0]} body instead of a stream.`
          : 'The model answered without streaming any text.',
      );
      advice =
        'Spark needs streamed replies: check that the server (or a proxy in front of it) supports stream: true and does not buffer it.';
      return report();
    }
    const tokens = outputTokens ?? deltas;
    const spreadMs = lastAt - firstAt;
    // OPS-10: a speed needs the tokens spread over time. When they all arrive in one read (a fast model, or a
    // proxy that gathers the stream), dividing by the microseconds between them gave "291160 tokens/s"; and
    // on a loaded machine the gap inside one read can be milliseconds of the process waiting for a core.
    const timed = tokens > 1 && turns.count > 1 && spreadMs >= MIN_TIMED_SPREAD_MS;
    const tokensPerSecond = timed ? Math.round((tokens - 1) / (spreadMs / 1000)) : null;
    const ttftMs = Math.round(firstAt - sentAt);
    const count = `${tokens} token${tokens === 1 ? '' : 's'}`;
    set(
      'streaming',
      'ok',
      tokensPerSecond !== null
        ? `Streaming works: first token after ${ttftMs} ms, ${count} at ${tokensPerSecond} tokens/s.`
        : tokens > 1
          ? `Streaming works: first token after ${ttftMs} ms, ${count} arriving together (too fast to time the speed from so few).`
          : `Streaming works: first token after ${ttftMs} ms, ${count}.`,
    );
    return report({ ttftMs, tokensPerSecond, outputTokens: tokens });
  } catch (err) {
    markRest(set, steps, 'failed', `The check itself failed: ${(err as Error).message}.`);
    return report();
  } finally {
    clearTimeout(timer);
  }
}

function apiName(api: AgentConfig['api']): string {
  return api === 'chat'
    ? 'the Chat Completions API'
    : api === 'responses-ws'
      ? "the Responses API's WebSocket mode"
      : 'the Responses API';
}

/** Marks every step not yet decided (the first one failed with `detail`, the rest skipped). */
function markRest(
  set: (s: SparkCheckStep, st: Status, d: string) => void,
  steps: Map<SparkCheckStep, unknown>,
  status: Status,
  detail: string,
): void {
  const first = (['reachable', 'key', 'api', 'model', 'streaming'] as const).find((s) => !steps.has(s));
  if (first) set(first, status, detail);
}

/** Decides which step a streaming failure belongs to and returns the advice. */
function classifyError(
  end: Extract<AgentEvent, { type: 'error' }>,
  config: AgentConfig,
  base: string,
  set: (s: SparkCheckStep, st: Status, d: string) => void,
  steps: Map<SparkCheckStep, { status: Status; detail: string }>,
  contentType: string | null,
): string {
  const message = end.message;
  if (end.status === 401 || end.status === 403) {
    set('key', 'failed', `It refused the API key (${end.status}).`);
    return config.apiKey
      ? 'Check SPARK_API_KEY: the server does not accept it.'
      : 'This server needs an API key: set SPARK_API_KEY.';
  }
  set('key', 'ok', config.apiKey ? 'The API key was accepted.' : 'No API key needed.');
  if (/SPARK_API=/.test(message)) {
    set('api', 'failed', message);
    return config.api === 'responses-ws'
      ? 'Set SPARK_API=responses (or SPARK_API=chat for Ollama, vLLM and llama.cpp) and restart.'
      : 'Set SPARK_API=chat (Ollama, vLLM and llama.cpp speak Chat Completions) and restart.';
  }
  if (end.code === 'model_not_found' || (end.status === 404 && /\bmodel\b/i.test(message))) {
    set('api', 'ok', `It accepts ${apiName(config.api)}.`);
    set('model', 'failed', `The server does not know model ${config.model}: ${message}`);
    return 'Set SPARK_MODEL to a model the server has (for Ollama, pull it first: ollama pull NAME).';
  }
  if (/^connection failed/.test(message)) {
    set('api', 'failed', `Could not open ${apiName(config.api)} at ${base}: ${message}.`);
    return 'Check SPARK_BASE_URL and SPARK_API: the server did not take the request.';
  }
  if (/connection lost mid-stream/.test(message) && contentType && !contentType.includes('event-stream')) {
    set('api', 'ok', `It accepts ${apiName(config.api)}.`);
    if (steps.get('model')?.status !== 'failed') set('model', 'ok', `Model ${config.model} answered.`);
    set(
      'streaming',
      'failed',
      `The server answered with one ${contentType.split(';')[0]} body instead of a stream.`,
    );
    return 'Spark needs streamed replies: check that the server (or a proxy in front of it) supports stream: true and does not buffer it.';
  }
  set('api', 'failed', `The request failed: ${message}.`);
  return 'See the message above; the server log of the model server may say more.';
}

type Listed =
  | { kind: 'list'; ids: string[] }
  | { kind: 'no-list'; status: number }
  | { kind: 'refused'; status: number }
  | { kind: 'unreachable'; reason: string };

/** `GET {base}/models`, bounded to 1 MB of answer. */
async function listModels(
  fetchFn: typeof globalThis.fetch,
  base: string,
  apiKey: string | null,
  signal: AbortSignal,
): Promise<Listed> {
  let res: Response;
  try {
    res = await fetchFn(`${base}/models`, {
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      signal,
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return { kind: 'unreachable', reason: e.cause?.code ?? e.cause?.message ?? e.message };
  }
  if (res.status === 401 || res.status === 403) {
    await res.body?.cancel();
    return { kind: 'refused', status: res.status };
  }
  if (!res.ok) {
    await res.body?.cancel();
    return { kind: 'no-list', status: res.status };
  }
  const text = await res.text();
  if (text.length > 1024 * 1024) return { kind: 'no-list', status: res.status };
  try {
    const body = JSON.parse(text) as { data?: { id?: unknown }[]; models?: { name?: unknown }[] };
    const ids = (body.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
    return { kind: 'list', ids };
  } catch {
    return { kind: 'no-list', status: res.status };
  }
}
