import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiPaths, type CreateRoomResponse, type RoomInfo } from '../../schema/protocol.ts';
import { loadConfig } from '../../server/config.ts';
import { logFormatFor } from '../../server/log.ts';
import { api, startTestServer } from '../helpers/test-server.ts';

const secret = { SPARKROOM_SECRET: 'x'.repeat(20) };
const failure = (env: Record<string, string>) => {
  try {
    loadConfig({ ...secret, ...env });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the configuration was accepted');
};

describe('configuration is checked at start, with one line naming each problem (OPS-1, OPS-4, OPS-5)', () => {
  it.each([
    ['localhost:11434', 'a host and port without a scheme'],
    ['localhost:11434/v1', 'a host, port and path without a scheme'],
    ['ftp://models.example/v1', 'a scheme that is not http(s)'],
    ['api.openai.com', 'a bare host name'],
  ])('OPS-4: SPARK_BASE_URL=%s (%s) is refused at start, naming the variable and an example', (value) => {
    const message = failure({ SPARK_BASE_URL: value });
    expect(message).toContain('SPARK_BASE_URL must be a URL starting with http:// or https://');
    expect(message).toContain(`(got "${value}")`);
    expect(message).toContain('http://localhost:11434/v1');
    expect(message).not.toContain('\n');
  });

  it.each([
    ['http://localhost:11434/v1', 'http://localhost:11434/v1'],
    ['https://api.cerebras.ai/v1/', 'https://api.cerebras.ai/v1'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
  ])('OPS-4: SPARK_BASE_URL=%s is taken as %s', (value, expected) => {
    expect(loadConfig({ ...secret, SPARK_BASE_URL: value }).agent.baseURL).toBe(expected);
  });

  it('OPS-1: several problems come on one line, each naming its variable', () => {
    const message = failure({ SPARK_BASE_URL: 'localhost:1', PORT: 'eighty', SPARK_API: 'completions' });
    expect(message).not.toContain('\n');
    expect(message).toMatch(/^invalid configuration: /);
    expect(message).toContain('PORT: ');
    expect(message).toContain('SPARK_API: ');
    expect(message).toContain('SPARK_BASE_URL must be');
  });

  it('OPS-5: SPARKROOM_PUBLIC_URL is an origin; a path, or no scheme, is refused', () => {
    expect(loadConfig({ ...secret, SPARKROOM_PUBLIC_URL: 'https://code.example.org/' }).publicUrl).toBe(
      'https://code.example.org',
    );
    expect(loadConfig({ ...secret, SPARKROOM_PUBLIC_URL: 'http://10.0.0.5:8787' }).publicUrl).toBe(
      'http://10.0.0.5:8787',
    );
    expect(loadConfig({ ...secret }).publicUrl).toBeNull();
    expect(failure({ SPARKROOM_PUBLIC_URL: 'https://code.example.org/sparkroom' })).toContain(
      'SPARKROOM_PUBLIC_URL must be an origin without a path',
    );
    expect(failure({ SPARKROOM_PUBLIC_URL: 'code.example.org' })).toContain(
      'SPARKROOM_PUBLIC_URL must be a URL starting with http:// or https://',
    );
  });

  it('OPS-7: LOG_FORMAT auto is pretty on a terminal and JSON otherwise; pretty or json force it', () => {
    expect(loadConfig({ ...secret }).logFormat).toBe('auto');
    expect(logFormatFor('auto', true)).toBe('pretty');
    expect(logFormatFor('auto', false)).toBe('json');
    expect(logFormatFor('json', true)).toBe('json');
    expect(logFormatFor('pretty', false)).toBe('pretty');
    expect(failure({ LOG_FORMAT: 'xml' })).toContain('LOG_FORMAT');
  });
});

describe('OPS-5: invite links use the public address', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a server with SPARKROOM_PUBLIC_URL gives it with the new room and in the room info', async () => {
    const server = await startTestServer({ env: { SPARKROOM_PUBLIC_URL: 'https://code.example.org' } });
    try {
      expect(server.running.publicUrl).toBe('https://code.example.org');
      const created = await api<CreateRoomResponse>(server.url, 'POST', apiPaths.rooms, { body: {} });
      expect(created.body.publicUrl).toBe('https://code.example.org');
      const owner = await server.join(created.body.roomId, created.body.invites.owner, 'Ada');
      const info = await api<RoomInfo>(server.url, 'GET', apiPaths.room(created.body.roomId), {
        token: owner.token,
      });
      expect(info.body.publicUrl).toBe('https://code.example.org');
    } finally {
      await server.close();
    }
  });

  it('without it the answer says null (clients use the address they called), and a wildcard host prints a loopback address', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sparkroom-ops-'));
    dirs.push(dataDir);
    const server = await startTestServer({ env: { HOST: '0.0.0.0' }, dataDir });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.running.publicUrl).toBe(server.url);
      const created = await api<CreateRoomResponse>(server.url, 'POST', apiPaths.rooms, { body: {} });
      expect(created.body.publicUrl).toBeNull();
    } finally {
      await server.close({ keepData: true });
    }
  });
});
