import { pino } from 'pino';

export type Logger = pino.Logger;

/** The process logger. Tests pass `level: 'silent'` (or a child) through the deps instead of importing this. */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}

export const silentLogger: Logger = pino({ level: 'silent' });
