import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_SECRET } from '../helpers/test-server.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the real server until it says where it listens, then stops it; returns what it wrote. */
function runUntilListening(env: Record<string, string>): Promise<{ stdout: string; code: number | null }> {
  const child = spawn(process.execPath, ['--import', './scripts/ts-register.mjs', 'server/main.ts'], {
    cwd: repoRoot,
    env: { PORT: '0', HOST: '127.0.0.1', SPARKROOM_SECRET: TEST_SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    if (/Sparkroom listening on/.test(stdout)) child.kill('SIGTERM');
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ stdout, code })));
}

describe('OPS-7: logs are JSON lines when stdout is not a terminal', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('every line the server writes to a pipe is one JSON object, the listening address included', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sparkroom-log-'));
    dirs.push(dataDir);
    // HOST 0.0.0.0 without an admin token or public URL: the server has warnings to give.
    const { stdout, code } = await runUntilListening({
      SPARKROOM_DATA: dataDir,
      HOST: '0.0.0.0',
      LOG_LEVEL: 'info',
    });
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    const events = lines.map((line) => JSON.parse(line) as { level: number; msg: string; url?: string });
    const listening = events.find((e) => e.msg.startsWith('Sparkroom listening on '));
    expect(listening?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(events.some((e) => e.level === 40 && e.msg.includes('SPARKROOM_PUBLIC_URL'))).toBe(true);
    expect(events.some((e) => e.msg === 'shutting down')).toBe(true);
  });

  it('LOG_FORMAT=pretty gives readable lines instead, and the address line survives LOG_LEVEL=silent', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sparkroom-log-'));
    dirs.push(dataDir);
    const pretty = await runUntilListening({ SPARKROOM_DATA: dataDir, LOG_FORMAT: 'pretty', NO_COLOR: '1' });
    expect(pretty.stdout).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Sparkroom listening on http:\/\/127\.0\.0\.1:\d+$/m,
    );
    const silent = await runUntilListening({ SPARKROOM_DATA: dataDir, LOG_LEVEL: 'silent' });
    expect(silent.stdout.trim().split('\n')).toHaveLength(1);
    expect(silent.stdout).toContain('Sparkroom listening on http://127.0.0.1:');
  });
});
