import { loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { startServer } from './start-server.ts';

// The only module that touches process: configuration in, signals and exit codes out.
const config = (() => {
  try {
    return loadConfig(process.env);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
})();
const log = createLogger(config.logLevel);

try {
  const running = await startServer(config, { log });
  console.log(`Sparkroom listening on ${running.url}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (err) {
  log.fatal({ err }, 'Sparkroom could not start');
  console.error(`Sparkroom could not start: ${(err as Error).message}`);
  process.exit(1);
}
