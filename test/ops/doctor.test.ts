import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SparkCheckReport } from '../../schema/protocol.ts';
import type { SparkApi } from '../../server/config.ts';
import { runCli } from '../helpers/cli-process.ts';
import { type FakeModelServer, startFakeModelServer } from '../helpers/fake-model-server.ts';

/**
 * `npx sparkroom doctor` as a user runs it: the real CLI process, configured only by the server's
 * environment variables, against the fake model server. The check's every branch is covered in
 * connection-check.test.ts; this proves the command, its output and its exit codes.
 */
// One CLI process at a time: each is a tsx start-up, and the machine is shared.
describe('OPS-11: sparkroom doctor', { timeout: 90_000 }, () => {
  let full: FakeModelServer;
  let chatOnly: FakeModelServer;
  beforeAll(async () => {
    full = await startFakeModelServer({
      // Slow enough that the tokens come in several reads even on a loaded machine: tokens that arrive in
      // one read give no speed (OPS-10), and this test checks the speed line.
      defaultReply: { text: 'Spark is connected and ready to write code.', tokensPerSecond: 50 },
    });
    chatOnly = await startFakeModelServer({ apis: ['chat'] });
  });
  afterAll(async () => {
    await full.close();
    await chatOnly.close();
  });
  // A developer's own key must not leak in: undefined unsets a variable for the child.
  const unset = undefined as unknown as string;
  const env = (api: SparkApi, url: string): Record<string, string> => ({
    SPARK_API: api,
    SPARK_BASE_URL: url,
    SPARK_MODEL: 'fake-model',
    SPARK_API_KEY: unset,
    OPENAI_API_KEY: unset,
    SPARKROOM_SECRET: unset,
    // The doctor must not create a data directory or a signing key (it runs beside the server).
    SPARKROOM_DATA: '/nonexistent/sparkroom-doctor-must-not-create-this',
  });

  it.each(['responses', 'responses-ws', 'chat'] as const)(
    'SPARK_API=%s: reports every step ok and exits 0',
    async (api) => {
      const r = await runCli(['doctor'], { env: env(api, full.url) });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Spark connection check (SPARK_API=${api}, model fake-model)`);
      for (const step of ['configured', 'reachable', 'API key', 'API mode', 'model', 'streaming']) {
        expect(r.stdout).toMatch(new RegExp(`^  ok +${step}`, 'm'));
      }
      expect(r.stdout).toMatch(/^Time to first token \d+ ms, \d+ tokens\/s\.$/m);
      expect(r.stdout).toContain('Spark is ready.');
    },
  );

  it('the Responses API against a Chat Completions server: exits 1 and says to set SPARK_API=chat', async () => {
    const r = await runCli(['doctor'], { env: env('responses', chatOnly.url) });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ {2}FAILED API mode/m);
    expect(r.stdout).toMatch(/^To fix: Set SPARK_API=chat/m);
  });

  it('--json prints the report for scripts', async () => {
    const r = await runCli(['doctor', '--json'], { env: env('chat', chatOnly.url) });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as SparkCheckReport;
    expect(report.ok).toBe(true);
    expect(report.ttftMs).not.toBeNull();
  });

  it('an invalid configuration is a usage error (2) naming the variable', async () => {
    const r = await runCli(['doctor'], {
      env: { ...env('chat', full.url), SPARK_BASE_URL: 'localhost:11434' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SPARK_BASE_URL must be a URL starting with http:// or https://');
  });

  it('sparkroom --help lists it', async () => {
    const r = await runCli(['--help'], {});
    expect(r.stdout).toMatch(/^ {2}doctor +check the connection to the model/m);
  });
});
