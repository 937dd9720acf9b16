import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * OPS-15: the production start needs only runtime dependencies. A copy of the project (the files git
 * tracks or would track, and node_modules as hard links, so nothing is downloaded and the original stays
 * untouched) is built, pruned with `npm prune --omit=dev`, and started with `npm start` and `npm run
 * serve`: each must serve the web app and the API without vite or any other dev dependency.
 */
describe('OPS-15: after npm prune --omit=dev the server starts and serves the web app', {
  timeout: 240_000,
}, () => {
  const copy = mkdtempSync(join(tmpdir(), 'sparkroom-prod-'));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('builds, prunes the dev dependencies, and starts with npm start and npm run serve', async () => {
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: repoRoot,
      encoding: 'utf8',
    })
      .split('\0')
      .filter((f) => f && existsSync(join(repoRoot, f)));
    for (const f of files) {
      mkdirSync(dirname(join(copy, f)), { recursive: true });
      copyFileSync(join(repoRoot, f), join(copy, f));
    }
    // Hard links: fast and no download; npm prune unlinks what it removes, so the original keeps its files.
    execFileSync('cp', ['-al', join(repoRoot, 'node_modules'), join(copy, 'node_modules')]);
    // npm rewrites this file: a copy of its own, so the original's is never written through the link.
    rmSync(join(copy, 'node_modules/.package-lock.json'), { force: true });
    if (existsSync(join(repoRoot, 'node_modules/.package-lock.json')))
      copyFileSync(
        join(repoRoot, 'node_modules/.package-lock.json'),
        join(copy, 'node_modules/.package-lock.json'),
      );
    const npm = (args: string[]) =>
      execFileSync('npm', args, {
        cwd: copy,
        encoding: 'utf8',
        env: { ...process.env, CI: 'true' },
        stdio: 'pipe',
      });
    npm(['run', 'build:web', '--silent']);
    expect(existsSync(join(copy, 'client/web/dist/index.html'))).toBe(true);
    npm(['prune', '--omit=dev', '--no-audit', '--no-fund']);
    expect(existsSync(join(copy, 'node_modules/vite'))).toBe(false);
    expect(existsSync(join(copy, 'node_modules/vitest'))).toBe(false);
    expect(existsSync(join(repoRoot, 'node_modules/vite'))).toBe(true);

    for (const script of ['start', 'serve']) {
      const url = await startAndCheck(copy, script);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    }
    // The CLI runs on runtime dependencies too.
    const help = execFileSync(process.execPath, ['client/cli/bin.mjs', '--help'], {
      cwd: copy,
      encoding: 'utf8',
    });
    expect(help).toMatch(/^ {2}backup +copy the server's database/m);
  });
});

/** Runs `npm run SCRIPT` in `dir` until it listens, checks the page and the health check, stops it. */
async function startAndCheck(dir: string, script: string): Promise<string> {
  const child = spawn('npm', ['run', script, '--silent'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: '0',
      SPARKROOM_DATA: join(dir, 'data'),
      LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        stdout += c;
        const m = /Sparkroom listening on (http:\/\/[^\s"]+)/.exec(stdout);
        if (m?.[1]) resolve(m[1]);
      });
      child.once('exit', (code) =>
        reject(new Error(`npm run ${script} exited ${code}:\n${stdout}\n${stderr}`)),
      );
    });
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Sparkroom');
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ ok: true, storage: 'sqlite' });
    return url;
  } finally {
    // npm runs the server as its child: signal the whole group, then wait for npm to end.
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
}
