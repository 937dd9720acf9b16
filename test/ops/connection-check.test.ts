import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SparkCheckReport, SparkCheckStep } from '../../schema/protocol.ts';
import { checkConnection } from '../../server/agent/connection-check.ts';
import type { AgentConfig, SparkApi } from '../../server/config.ts';
import {
  type FakeModelServer,
  type FakeModelServerOptions,
  startFakeModelServer,
} from '../helpers/fake-model-server.ts';

const MODES: SparkApi[] = ['responses', 'responses-ws', 'chat'];
const fakes: FakeModelServer[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close();
});

async function fake(opts: FakeModelServerOptions = {}): Promise<FakeModelServer> {
  const f = await startFakeModelServer(opts);
  fakes.push(f);
  return f;
}

function config(
  api: SparkApi,
  baseURL: string | null,
  model = 'fake-model',
  apiKey: string | null = null,
): AgentConfig {
  return {
    api,
    baseURL,
    apiKey,
    model,
    maxOutputTokens: 4096,
    idleTimeoutMs: 60_000,
    maxRunOutputBytes: 512 * 1024,
    maxRunTokens: 16_384,
    maxRunMs: 600_000,
    maxRunHunks: 200,
  };
}

const status = (r: SparkCheckReport) =>
  Object.fromEntries(r.steps.map((s) => [s.step, s.status])) as Record<SparkCheckStep, string>;
const detail = (r: SparkCheckReport, step: SparkCheckStep) =>
  r.steps.find((s) => s.step === step)?.detail ?? '';

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('OPS-10: the connection check, against the fake model server in each API mode', () => {
  it.each(MODES)('SPARK_API=%s: every step passes, with time to first token and tokens/s', async (mode) => {
    const f = await fake();
    // 50 tokens/s: the tokens come in several reads even on a loaded machine, so there is a speed to read
    // (tokens that arrive in one read give none, tested below).
    f.enqueue({ text: 'Spark is connected and streaming well.', ttftMs: 60, tokensPerSecond: 50 });
    const r = await checkConnection(config(mode, f.url));
    expect(status(r)).toEqual({
      configured: 'ok',
      reachable: 'ok',
      key: 'ok',
      api: 'ok',
      model: 'ok',
      streaming: 'ok',
    });
    expect(r.ok).toBe(true);
    expect(r.advice).toBeNull();
    expect(r.ttftMs).toBeGreaterThanOrEqual(55);
    expect(r.outputTokens).toBeGreaterThan(3);
    // Loose: the fake paces 50 tokens/s; a loaded machine slows it, or lets a late batch catch up.
    expect(r.tokensPerSecond).toBeGreaterThan(5);
    expect(r.tokensPerSecond).toBeLessThan(2000);
    expect(detail(r, 'streaming')).toMatch(
      /^Streaming works: first token after \d+ ms, \d+ tokens at \d+ tokens\/s\.$/,
    );
    // The probe is tiny: a handful of output tokens asked for.
    const sent = f.requests[0]?.body ?? {};
    expect(sent.max_output_tokens ?? sent.max_tokens).toBe(16);
    expect(f.requests[0]?.api).toBe(mode);
  });

  it.each(MODES)(
    'SPARK_API=%s: tokens that all arrive in one read give no speed, and say so (not "291160 tokens/s")',
    async (mode) => {
      const f = await fake();
      // Far faster than any timer: the fake writes the whole reply in one batch.
      f.enqueue({ text: 'Spark is connected and streaming well.', tokensPerSecond: 10_000_000 });
      const r = await checkConnection(config(mode, f.url));
      expect(r.ok).toBe(true);
      expect(r.outputTokens).toBeGreaterThan(3);
      expect(r.tokensPerSecond).toBeNull();
      expect(detail(r, 'streaming')).toMatch(
        /^Streaming works: first token after \d+ ms, \d+ tokens arriving together \(too fast to time the speed from so few\)\.$/,
      );
    },
  );

  it.each(['responses', 'responses-ws'] as const)(
    'SPARK_API=%s against a server that speaks only Chat Completions: the API step fails and says SPARK_API=chat',
    async (mode) => {
      const f = await fake({ apis: ['chat'] });
      const r = await checkConnection(config(mode, f.url));
      expect(r.ok).toBe(false);
      expect(status(r)).toMatchObject({ reachable: 'ok', key: 'ok', api: 'failed', streaming: 'skipped' });
      expect(detail(r, 'api')).toContain('answered 404');
      expect(r.advice).toContain('SPARK_API=chat');
    },
  );

  it.each(MODES)('SPARK_API=%s with a refused key (401): the key step fails', async (mode) => {
    const f = await fake();
    f.setHandler(() => ({
      httpStatus: 401,
      body: { error: { message: 'invalid key', code: 'invalid_api_key' } },
    }));
    const r = await checkConnection(config(mode, f.url, 'fake-model', 'sk-wrong'));
    expect(status(r)).toMatchObject({ reachable: 'ok', key: 'failed', api: 'skipped', streaming: 'skipped' });
    expect(r.advice).toContain('SPARK_API_KEY');
    expect(r.ok).toBe(false);
  });

  it.each(MODES)(
    'SPARK_API=%s with a model the server does not have: the model step fails and names what it has',
    async (mode) => {
      const f = await fake({ models: ['llama3.1:8b', 'qwen2.5-coder:7b'] });
      f.setHandler(() => ({
        httpStatus: 404,
        body: {
          error: { message: 'model "gpt-nope" not found, try pulling it first', code: 'model_not_found' },
        },
      }));
      const r = await checkConnection(config(mode, f.url, 'gpt-nope'));
      expect(status(r)).toMatchObject({ reachable: 'ok', key: 'ok', api: 'ok', model: 'failed' });
      expect(detail(r, 'model')).toContain('gpt-nope');
      expect(r.advice).toContain('SPARK_MODEL');
      expect(r.ok).toBe(false);
    },
  );

  it.each(['responses', 'chat'] as const)(
    'SPARK_API=%s against a server that ignores stream:true: the streaming step fails',
    async (mode) => {
      const f = await fake();
      f.setHandler(() => ({ nonStreaming: true, text: 'Spark is connected.' }));
      const r = await checkConnection(config(mode, f.url));
      expect(status(r)).toMatchObject({ reachable: 'ok', key: 'ok', api: 'ok', streaming: 'failed' });
      expect(detail(r, 'streaming')).toContain('application/json body instead of a stream');
      expect(r.advice).toContain('stream');
      expect(r.ok).toBe(false);
    },
  );

  it.each(MODES)(
    'SPARK_API=%s with nothing listening: the server is unreachable, nothing else is tried',
    async (mode) => {
      const r = await checkConnection(config(mode, `http://127.0.0.1:${await closedPort()}/v1`));
      expect(status(r)).toEqual({
        configured: 'ok',
        reachable: 'failed',
        key: 'skipped',
        api: 'skipped',
        model: 'skipped',
        streaming: 'skipped',
      });
      expect(detail(r, 'reachable')).toContain('ECONNREFUSED');
      expect(r.advice).toContain('SPARK_BASE_URL');
    },
  );

  it('a model that never answers fails the check within its time limit', async () => {
    const f = await fake();
    f.setHandler(() => ({ hang: true }));
    const r = await checkConnection(config('chat', f.url), { timeoutMs: 500 });
    expect(r.ok).toBe(false);
    expect(r.steps.some((s) => s.status === 'failed' && s.detail.includes('within 1 s'))).toBe(true);
  });

  it('without a model configured the check says what to set', async () => {
    const r = await checkConnection(config('responses', null));
    expect(status(r).configured).toBe('failed');
    expect(r.advice).toContain('SPARK_BASE_URL');
  });
});
