import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths, type ErrorBody, type RoomInfo } from '../../schema/protocol.ts';
import { loadConfig } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import { startServer } from '../../server/start-server.ts';
import { expectRefusedUpgrade, openRawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { api, startTestServer, type TestServer } from '../helpers/test-server.ts';

/** The header's directives as a map: name -> sources. */
function cspOf(res: Response): Map<string, string[]> {
  return parseCsp(res.headers.get('content-security-policy') ?? '');
}

function parseCsp(header: string): Map<string, string[]> {
  return new Map(
    header
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...sources]) => [name!, sources]),
  );
}

describe('web hardening (WEB-20..WEB-24)', () => {
  let server: TestServer;
  let webRoot: string;

  beforeAll(async () => {
    webRoot = mkdtempSync(join(tmpdir(), 'sparkroom-web-'));
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(
      join(webRoot, 'index.html'),
      '<!doctype html><script type="module" src="/assets/app.js"></script>',
    );
    writeFileSync(join(webRoot, 'assets', 'app.js'), 'console.log(1)');
    server = await startTestServer({ start: { webRoot } });
  });
  afterAll(async () => {
    await server.close();
    rmSync(webRoot, { recursive: true, force: true });
  });

  it('WEB-20: pages, assets, API answers and errors carry a CSP without inline script, framing or foreign connections', async () => {
    const host = new URL(server.url).host;
    for (const path of [
      '/',
      '/r/some-room',
      '/assets/app.js',
      apiPaths.health,
      '/api/rooms/nope',
      '/assets/gone.js',
    ]) {
      const res = await fetch(server.url + path);
      await res.arrayBuffer();
      const csp = cspOf(res);
      expect({ path, scriptSrc: csp.get('script-src') }).toEqual({ path, scriptSrc: ["'self'"] });
      expect(csp.get('default-src')).toEqual(["'self'"]);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      expect(csp.get('object-src')).toEqual(["'none'"]);
      expect(csp.get('base-uri')).toEqual(["'none'"]);
      // Its own WebSockets, by name as well as 'self', and nothing else.
      expect(csp.get('connect-src')).toEqual(["'self'", `ws://${host}`, `wss://${host}`]);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      // The server speaks plain HTTP: HSTS is the TLS proxy's to send, never ours.
      expect(res.headers.get('strict-transport-security')).toBeNull();
    }
  });

  it('WEB-20: a Host header that is not a plain host cannot write into the policy', async () => {
    const { request } = await import('node:http');
    const url = new URL(server.url);
    const csp = await new Promise<string>((resolve, reject) => {
      const req = request(
        // Node refuses a Host with spaces itself; a semicolon passes it and would end the directive.
        { host: url.hostname, port: url.port, path: '/', headers: { host: 'evil.example;script-src' } },
        (res) => {
          res.resume();
          resolve(String(res.headers['content-security-policy']));
        },
      );
      req.on('error', reject);
      req.end();
    });
    const directives = parseCsp(csp);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(csp).not.toContain('evil');
  });

  it.each([
    ['text/plain (what a cross-site form or fetch may send without asking)', 'text/plain'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['no Content-Type at all', null],
  ])('WEB-23: POST /api/rooms with %s is a 415 and creates no room', async (_what, type) => {
    const headers: Record<string, string> = {};
    if (type) headers['content-type'] = type;
    const res = await fetch(server.url + apiPaths.rooms, {
      method: 'POST',
      headers,
      body: type ? '{"name":"planted"}' : undefined,
    });
    const body = (await res.json()) as ErrorBody;
    expect(res.status).toBe(415);
    expect(body.error.code).toBe('unsupported_media_type');
    expect(body.error.message).toMatch(/application\/json/);
    // JSON with a charset, or a +json type, is still JSON.
    for (const ok of ['application/json; charset=utf-8', 'application/vnd.sparkroom+json']) {
      const created = await fetch(server.url + apiPaths.rooms, {
        method: 'POST',
        headers: { 'content-type': ok },
        body: '{"name":"fine"}',
      });
      expect(created.status).toBe(201);
    }
  });

  it('WEB-23: a cross-site text/plain join mints nobody', async () => {
    const room = await server.createRoom('join target');
    const owner = await server.join(room.roomId, room.invites.owner, 'Owner');
    const res = await fetch(server.url + apiPaths.join(room.roomId), {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ invite: room.invites.editor, name: 'Planted' }),
    });
    expect(res.status).toBe(415);
    const info = await api<RoomInfo>(server.url, 'GET', apiPaths.room(room.roomId), { token: owner.token });
    expect(info.body.members.map((m) => m.name)).toEqual(['Owner']);
  });

  describe('WEB-22: the WebSocket Origin', () => {
    it("refuses pages of other origins before the upgrade, and lets the server's own pages and non-browser clients in", async () => {
      const room = await server.createRoom('origins');
      const ada = await server.join(room.roomId, room.invites.editor, 'Ada');
      const url = syncSocketUrl(server.syncUrl, room.roomId, ada.token);
      for (const origin of [
        'http://evil.example',
        'https://evil.example',
        'null',
        `${server.url}.evil.example`,
      ]) {
        const refused = await expectRefusedUpgrade(url, { headers: { origin } });
        expect({ origin, status: refused.status, code: refused.code }).toEqual({
          origin,
          status: 403,
          code: 'bad_origin',
        });
      }
      // Its own origin (the page the server served), and no Origin at all (a Node client): both open.
      const own = await openRawClient(url, { headers: { origin: server.url } });
      await own.roundTrip();
      own.close();
      const node = await openRawClient(url);
      await node.roundTrip();
      node.close();
    });

    it('lets in origins from SPARKROOM_ALLOWED_ORIGINS (a reverse proxy that rewrites Host)', async () => {
      const proxied = await startTestServer({
        env: { SPARKROOM_ALLOWED_ORIGINS: 'https://code.example.org' },
      });
      try {
        const room = await proxied.createRoom('behind a proxy');
        const ada = await proxied.join(room.roomId, room.invites.editor, 'Ada');
        const url = syncSocketUrl(proxied.syncUrl, room.roomId, ada.token);
        const ok = await openRawClient(url, { headers: { origin: 'https://code.example.org' } });
        await ok.roundTrip();
        ok.close();
        const refused = await expectRefusedUpgrade(url, { headers: { origin: 'https://other.example.org' } });
        expect(refused.status).toBe(403);
      } finally {
        await proxied.close();
      }
    });

    it('refuses to start with an allowed origin that is not an origin', () => {
      expect(() =>
        loadConfig({ SPARKROOM_ALLOWED_ORIGINS: 'code.example.org', SPARKROOM_SECRET: 'x'.repeat(20) }),
      ).toThrow(/SPARKROOM_ALLOWED_ORIGINS.*not an origin/s);
      expect(() =>
        loadConfig({ SPARKROOM_ALLOWED_ORIGINS: 'https://a.example/path', SPARKROOM_SECRET: 'x'.repeat(20) }),
      ).toThrow(/not an origin/);
    });
  });
});

describe('SAFE-47: files in the data directory', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('SAFE-47: the database (with its WAL and shared-memory files) and the generated signing key are 0600', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'sparkroom-modes-')), 'data');
    dirs.push(dataDir);
    const config = loadConfig({ PORT: '0', SPARKROOM_DATA: dataDir, LOG_LEVEL: 'silent' });
    const running = await startServer(config, { log: silentLogger, webRoot: null });
    try {
      // A write, so the WAL is in use.
      const res = await api(running.url, 'POST', apiPaths.rooms, { body: { name: 'modes' } });
      expect(res.status).toBe(201);
      const mode = (f: string) => (statSync(join(dataDir, f)).mode & 0o777).toString(8);
      expect({
        db: mode('sparkroom.db'),
        wal: mode('sparkroom.db-wal'),
        shm: mode('sparkroom.db-shm'),
        key: mode('secret.key'),
        dir: mode('.'),
      }).toEqual({ db: '600', wal: '600', shm: '600', key: '600', dir: '700' });
    } finally {
      await running.close();
    }
  });
});
