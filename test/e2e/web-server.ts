import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { loadConfig } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import { type RunningServer, startServer } from '../../server/start-server.ts';
import { CHROMIUM_PATH, chromiumAvailable, launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { type FakeModelServer, startFakeModelServer } from '../helpers/fake-model-server.ts';
import { MANY_CLIENTS_FROM_ONE_ADDRESS, TEST_SECRET } from '../helpers/test-server.ts';

const viteConfig = fileURLToPath(new URL('../../client/web/vite.config.ts', import.meta.url));

/**
 * Builds the web client into a temporary directory (so a stale client/web/dist never hides a change,
 * and a parallel `npm start` never sees a half-written bundle) and returns that directory.
 */
export async function buildWebClient(): Promise<{ dir: string; cleanup(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'sparkroom-web-'));
  await build({
    configFile: viteConfig,
    logLevel: 'warn',
    build: { outDir: dir, emptyOutDir: true, sourcemap: false },
  });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface WebTestServer {
  url: string;
  running: RunningServer;
  close(): Promise<void>;
}

/** The real server on port 0 with a temp SQLite file, serving the built client from `webRoot`. */
export async function startWebTestServer(
  webRoot: string,
  env: Record<string, string> = {},
): Promise<WebTestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sparkroom-e2e-'));
  const config = loadConfig({
    PORT: '0',
    SPARKROOM_DATA: dataDir,
    SPARKROOM_SECRET: TEST_SECRET,
    LOG_LEVEL: 'silent',
    ...MANY_CLIENTS_FROM_ONE_ADDRESS,
    ...env,
  });
  const running = await startServer(config, { log: silentLogger, webRoot });
  return {
    url: running.url,
    running,
    async close() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface BrowserApp {
  server: WebTestServer;
  browser: TestBrowser & { consoleErrors: string[] };
  /** Closes the browser and the server and removes the built client. */
  close(): Promise<void>;
}

/**
 * What every browser test file starts from: the web client built, the real server serving it on port 0
 * (with `env` over the test config, e.g. a model endpoint), and headless Chromium. Fails at once, before
 * the slow build, when Chromium is missing, so the failure names the cause.
 */
export async function startBrowserApp(env: Record<string, string> = {}): Promise<BrowserApp> {
  if (!chromiumAvailable())
    throw new Error(`Chromium is missing at ${CHROMIUM_PATH}: apt-get install chromium (.ci/run does)`);
  const web = await buildWebClient();
  let server: WebTestServer | undefined;
  try {
    server = await startWebTestServer(web.dir, env);
    const browser = await launchBrowser();
    const started = server;
    return {
      server: started,
      browser,
      async close() {
        await browser.close();
        await started.close();
        web.cleanup();
      },
    };
  } catch (err) {
    // A half-started app is cleaned up here: the caller never got a handle to close it with.
    await server?.close();
    web.cleanup();
    throw err;
  }
}

export interface SparkBrowserApp extends BrowserApp {
  /** the model Spark streams from: enqueue replies, read the requests */
  fake: FakeModelServer;
}

/**
 * A browser app whose Spark talks to a fresh fake model server over the Responses API, through the real
 * SDK (what a person gets with SPARK_API=responses); close() stops both.
 */
export async function startSparkBrowserApp(env: Record<string, string> = {}): Promise<SparkBrowserApp> {
  const fake = await startFakeModelServer();
  try {
    const app = await startBrowserApp({
      SPARK_API: 'responses',
      SPARK_BASE_URL: fake.url,
      SPARK_API_KEY: 'test-key',
      SPARK_MODEL: 'gpt-5.3-codex-spark',
      ...env,
    });
    return {
      ...app,
      fake,
      async close() {
        await app.close();
        await fake.close();
      },
    };
  } catch (err) {
    await fake.close();
    throw err;
  }
}
