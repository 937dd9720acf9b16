import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { apiPaths } from '../../schema/protocol.ts';
import { redactKeys } from '../../server/agent/agent-run.ts';
import type { AgentEvent } from '../../server/agent/model-provider.ts';
import { createProvider } from '../../server/agent/providers/create-provider.ts';
import { loadConfig, type SparkApi } from '../../server/config.ts';
import { startServer } from '../../server/start-server.ts';
import { type FakeModelServer, startFakeModelServer } from '../helpers/fake-model-server.ts';
import { api, MANY_CLIENTS_FROM_ONE_ADDRESS, roomsApi, TEST_SECRET } from '../helpers/test-server.ts';
import { until } from '../helpers/wait.ts';

const fakes: FakeModelServer[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  for (const f of fakes.splice(0)) await f.close();
});

async function lastEvent(apiMode: SparkApi, baseURL: string): Promise<AgentEvent | undefined> {
  const provider = createProvider({
    api: apiMode,
    baseURL,
    apiKey: null,
    model: 'fake-model',
    maxOutputTokens: 64,
    idleTimeoutMs: 10_000,
    maxRunOutputBytes: 65_536,
    maxRunTokens: 1000,
    maxRunMs: 10_000,
    maxRunHunks: 200,
  });
  if (!provider) throw new Error('no provider');
  cleanups.push(() => provider.close());
  const events: AgentEvent[] = [];
  const request = {
    model: 'fake-model',
    instructions: 'x',
    messages: [{ role: 'user' as const, content: 'hi' }],
    maxOutputTokens: 64,
    sessionKey: 'ops',
  };
  for await (const e of provider.stream(request, new AbortController().signal)) events.push(e);
  return events.at(-1);
}

describe('OPS-9: a server without the Responses API gets an error that says what to set', () => {
  it.each([
    ['responses', 'POST', 'SPARK_API=chat'],
    ['responses-ws', 'a WebSocket to', 'set SPARK_API=responses (SSE), or SPARK_API=chat'],
  ] as const)(
    'SPARK_API=%s against a Chat Completions-only server names the URL and the fix',
    async (mode, verb, fix) => {
      const fake = await startFakeModelServer({ apis: ['chat'] });
      fakes.push(fake);
      const end = await lastEvent(mode, fake.url);
      expect(end?.type).toBe('error');
      const message = end?.type === 'error' ? end.message : '';
      const url =
        mode === 'responses' ? `${fake.url}/responses` : `${fake.url.replace(/^http/, 'ws')}/responses`;
      expect(message).toContain(`answered 404 to ${verb} ${url}`);
      expect(message).toContain(fix);
    },
  );

  it('a 404 about the model keeps its own message (the path was right)', async () => {
    const fake = await startFakeModelServer();
    fakes.push(fake);
    fake.enqueue({
      httpStatus: 404,
      body: { error: { message: 'The model `nope` does not exist', code: 'model_not_found' } },
    });
    const end = await lastEvent('responses', fake.url);
    expect(end?.type === 'error' && end.message).toBe(
      'upstream refused the request (404): The model `nope` does not exist',
    );
  });

  it('SPARK_API=chat against a server that has it works (the suggestion is right)', async () => {
    const fake = await startFakeModelServer({ apis: ['chat'] });
    fakes.push(fake);
    expect((await lastEvent('chat', fake.url))?.type).toBe('finish');
  });
});

describe('OPS-8: the server logs every failed run with room, run and reason, never the prompt or a key', () => {
  it('a run refused upstream (401) is logged once, as a warning', async () => {
    const fake = await startFakeModelServer();
    fakes.push(fake);
    fake.setHandler(() => ({
      httpStatus: 401,
      body: {
        error: {
          message: 'Incorrect API key provided: sk-proj-abcdefghijklmnop1234',
          code: 'invalid_api_key',
        },
      },
    }));
    const lines: Record<string, unknown>[] = [];
    const listeners = new Set<() => void>();
    const log = pino(
      { level: 'info' },
      {
        write: (line: string) => {
          lines.push(JSON.parse(line) as Record<string, unknown>);
          for (const l of listeners) l();
        },
      },
    );
    const dataDir = mkdtempSync(join(tmpdir(), 'sparkroom-ops-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const config = loadConfig({
      PORT: '0',
      SPARKROOM_DATA: dataDir,
      SPARKROOM_SECRET: TEST_SECRET,
      SPARK_BASE_URL: fake.url,
      SPARK_API_KEY: 'sk-test-secret-key-never-logged',
      SPARK_MODEL: 'fake-model',
      ...MANY_CLIENTS_FROM_ONE_ADDRESS,
    });
    const running = await startServer(config, { log, webRoot: null });
    cleanups.push(() => running.close());
    const { room, people } = await roomsApi(running.url).roomWith(['owner']);
    const prompt = 'Please rename the secret-project-codename function';
    const res = await api<{ runId: string }>(running.url, 'POST', apiPaths.runs(room.roomId), {
      token: people[0]!.token,
      body: { prompt },
    });
    expect(res.status).toBe(202);
    const failed = await until(
      () => lines.find((l) => l.msg === 'Spark run failed'),
      (onChange) => {
        listeners.add(onChange);
        return () => listeners.delete(onChange);
      },
    );
    expect(failed).toMatchObject({ level: 40, room: room.roomId, run: res.body.runId });
    expect(failed.reason).toContain('upstream refused the request (401)');
    const everything = lines.map((l) => JSON.stringify(l)).join('\n');
    expect(everything).not.toContain('secret-project-codename');
    expect(everything).not.toContain('sk-test-secret-key-never-logged');
    expect(everything).not.toContain('abcdefghijklmnop1234');
    expect(lines.filter((l) => l.msg === 'Spark run failed')).toHaveLength(1);
  });

  it('redactKeys cuts key-like strings', () => {
    expect(redactKeys('bad key sk-proj-abcdefghijklmnop1234 given')).toBe('bad key sk-proj… given');
    expect(redactKeys('csk-12345678901234567890')).toBe('csk-1234…');
    expect(redactKeys('a plain reason (404)')).toBe('a plain reason (404)');
  });
});
