import { expect } from 'vitest';
import type { EditFormat } from '../../server/agent/edit-parser.ts';

/** The events the edit parser gives, built for the fixture tables (edit-parser-fixtures*.ts). */

export const start = (
  hunk: number,
  file: string,
  contextBefore: string,
  oldText: string,
  extra: object = {},
) => ({
  type: 'hunk-start',
  hunk,
  file,
  contextBefore,
  oldText,
  lineHint: null,
  newFile: false,
  deleteFile: false,
  headers: [],
  append: false,
  ...extra,
});
export const delta = (hunk: number, text: string) => ({ type: 'hunk-delta', hunk, text });
export const end = (hunk: number, complete = true) => ({ type: 'hunk-end', hunk, complete });
export const text = (t: string) => ({ type: 'text', text: t });
export const error = (fragment: string) => ({
  type: 'parse-error',
  message: expect.stringContaining(fragment),
});

export interface Fixture {
  name: string;
  format: EditFormat;
  input: string;
  expected: unknown[];
}
