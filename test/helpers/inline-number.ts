import { setFlagsFromString } from 'node:v8';

// V8's own check, compiled once: the flag only lets this file's function use the `%` syntax.
setFlagsFromString('--allow-natives-syntax');
const isSmi = new Function('value', 'return %IsSmi(value)') as (value: unknown) => boolean;

/**
 * Whether V8 holds `value` inline, as a small integer, where a field or a map entry holding any other number
 * points at a heap number of 16 B of its own (PERF-133, PERF-134).
 */
export function isInlineNumber(value: unknown): boolean {
  return isSmi(value);
}
