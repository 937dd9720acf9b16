import { loadConfig } from './config.ts';
import { createLogger, logFormatFor } from './log.ts';
import { startServer } from './start-server.ts';

// The only module that touches process: configuration in, signals and exit codes out.

/**
 * OPS-1: whatever stops the start (configuration, data directory, database, port) ends the same way: one
 * line on stderr naming the problem, no stack, exit code 1. Logs are for a running server.
 */
function cannotStart(err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`Sparkroom could not start: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(1);
}

const config = (() => {
  try {
    return loadConfig(process.env);
  } catch (err) {
    return cannotStart(err);
  }
})();
const logFormat = logFormatFor(config.logFormat, Boolean(process.stdout.isTTY));
const log = createLogger(config.logLevel, logFormat);

try {
  const running = await startServer(config, { log });
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
  // Announced only once the signal handlers are in place: a script that stops the server as soon as it
  // reads this line must get a clean shutdown, not the default SIGTERM death (seen under load in CI).
  // OPS-5: where the server is, in the log's own format, whatever LOG_LEVEL (scripts wait for this line).
  createLogger('info', logFormat).info(
    { url: running.url, publicUrl: running.publicUrl },
    `Sparkroom listening on ${running.url}${running.publicUrl !== running.url ? ` (invite links use ${running.publicUrl})` : ''}`,
  );
} catch (err) {
  cannotStart(err);
}
