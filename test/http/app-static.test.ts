import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { silentLogger } from '../../server/log.ts';

describe('the web client is served by the same app', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'sparkroom-web-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>Sparkroom</title>');
    writeFileSync(join(root, 'assets', 'app.js'), 'console.log("app")');
    writeFileSync(join(root, 'assets', 'app.js.br'), brotliCompressSync('console.log("app")'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const app = () =>
    createApp({ log: silentLogger, healthy: () => true, routes: [], webRoot: root, maxBodyBytes: 1024 });

  it('serves precompressed assets to clients that accept them', async () => {
    const res = await app().request('/assets/app.js', { headers: { 'accept-encoding': 'br, gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('br');
    const plain = await app().request('/assets/app.js');
    expect(await plain.text()).toBe('console.log("app")');
  });

  it('client-side routes get index.html, a missing asset is a 404, unknown API paths are JSON 404s', async () => {
    for (const path of ['/', '/r/abc', '/join/abc']) {
      const res = await app().request(path);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<title>Sparkroom</title>');
    }
    expect((await app().request('/assets/old-chunk.js')).status).toBe(404);
    const api = await app().request('/api/nope');
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ error: { code: 'not_found', message: 'no such endpoint' } });
  });
});
