import { pino } from 'pino';
import { PinoPretty } from 'pino-pretty';

export type Logger = pino.Logger;

/** `pretty`: one readable coloured line per event, for a person at a terminal; `json`: one JSON object per line. */
export type LogFormat = 'pretty' | 'json';

/**
 * The process logger (OPS-7): pretty lines when a person reads the terminal, JSON lines for a log collector
 * (journald, docker, a file), so stdout never mixes the two. Tests pass `level: 'silent'` (or a child)
 * through the deps instead of importing this.
 */
export function createLogger(level: string, format: LogFormat = 'json'): Logger {
  const options = { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === 'json') return pino(options);
  // Synchronous, in this thread: a worker-thread transport would lose the last lines of a crash.
  return pino(options, PinoPretty({ sync: true, translateTime: 'SYS:HH:MM:ss.l' }));
}

/** `auto` picks pretty when stdout is a terminal. */
export function logFormatFor(setting: 'auto' | LogFormat, stdoutIsTTY: boolean): LogFormat {
  if (setting !== 'auto') return setting;
  return stdoutIsTTY ? 'pretty' : 'json';
}

export const silentLogger: Logger = pino({ level: 'silent' });
