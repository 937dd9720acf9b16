import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeLive, mergeWithMarkers } from '../../client/cli/sync/merge3.ts';
import { inside, throughLink } from '../../client/cli/sync/share-state.ts';
import { checkEntryPath, decodeText, IgnoreRules } from '../../schema/import-rules.ts';
import { applyEditsToString, textEdits } from '../../schema/text-edits.ts';

const scratch = mkdtempSync(join(tmpdir(), 'sparkroom-units-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('shared import rules (IO-2, IO-5, IO-6)', () => {
  it('IO-2: .gitignore files apply to their folder, deeper rules win, ignored folders stay ignored', () => {
    const rules = new IgnoreRules();
    rules.add('', 'dist/\n*.log\n!keep.log\n');
    rules.add('pkg', 'generated/\n!important.log\n');
    expect(rules.ignores('dist/a.js')).toBe(true);
    expect(rules.ignores('src/dist/a.js')).toBe(true);
    expect(rules.ignores('debug.log')).toBe(true);
    expect(rules.ignores('keep.log')).toBe(false);
    expect(rules.ignores('pkg/important.log')).toBe(false);
    expect(rules.ignores('pkg/generated/x.ts')).toBe(true);
    expect(rules.ignores('generated/x.ts')).toBe(false);
    expect(rules.ignores('node_modules/a/index.js')).toBe(true);
    expect(rules.ignores('a/.git/config')).toBe(true);
    expect(rules.ignoredFolderOf('dist/deep/a.js')).toBe('dist/');
    expect(rules.ignoresFolder('pkg/generated')).toBe(true);
    expect(rules.ignoresFolder('pkg')).toBe(false);
  });

  it('IO-5/IO-6: text detection and entry path checks', () => {
    expect(decodeText(new Uint8Array([0x68, 0x69, 0x00]))).toEqual({ ok: false, reason: 'binary' });
    expect(decodeText(new Uint8Array([0x63, 0xe9]))).toEqual({ ok: false, reason: 'not_utf8' });
    expect(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]))).toEqual({ ok: true, text: '\ufeffA' });
    expect(checkEntryPath('./src/a.ts')).toEqual({ ok: true, path: 'src/a.ts', dir: false });
    expect(checkEntryPath('src/')).toEqual({ ok: true, path: 'src', dir: true });
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'C:/x', 'a\\b', 'a\u0000b', '']) {
      expect(checkEntryPath(bad).ok, bad).toBe(false);
    }
  });
});

describe('text edits and merges (IO-13, IO-15)', () => {
  it('IO-13: textEdits finds small edits that rebuild the new text, never splitting a surrogate pair', () => {
    const cases: [string, string][] = [
      ['hello world\n', 'hello brave world\n'],
      ['a\nb\nc\n', 'a\nB\nc\nd\n'],
      ['😀😀', '😀😃'],
      [`${'x'.repeat(30_000)}tail`, `${'y'.repeat(10)}${'x'.repeat(30_000)}tail!`],
      ['', 'new'],
      ['old', ''],
    ];
    for (const [a, b] of cases) {
      const edits = textEdits(a, b);
      expect(applyEditsToString(a, edits)).toBe(b);
      for (const e of edits) {
        const cut = a.charCodeAt(e.index);
        expect(cut >= 0xdc00 && cut <= 0xdfff, 'no cut inside a surrogate pair').toBe(false);
      }
    }
    // One inserted word is one small insert, not a rewrite.
    expect(textEdits('hello world\n', 'hello brave world\n')).toEqual([
      { index: 6, deleteCount: 0, insert: 'brave ' },
    ]);
  });

  it('IO-15: three-way merges keep both sides; a true conflict gets markers, CRLF stays CRLF', () => {
    const base = 'one\r\ntwo\r\nthree\r\n';
    expect(mergeWithMarkers(base, 'ONE\r\ntwo\r\nthree\r\n', 'one\r\ntwo\r\nTHREE\r\n')).toEqual({
      text: 'ONE\r\ntwo\r\nTHREE\r\n',
      conflicts: 0,
    });
    expect(mergeWithMarkers(base, 'one\r\nDISK\r\nthree\r\n', 'one\r\nROOM\r\nthree\r\n')).toEqual({
      text: 'one\r\n<<<<<<< disk\r\nDISK\r\n=======\r\nROOM\r\n>>>>>>> room\r\nthree\r\n',
      conflicts: 1,
    });
    // Live: two people on one line, different words, both kept.
    expect(mergeLive('let a = 1;\n', 'let alpha = 1;\n', 'let a = 2;\n')).toEqual({
      text: 'let alpha = 2;\n',
      conflicts: 0,
    });
    // No final newline stays without one.
    expect(mergeWithMarkers('a\nb\nc', 'A\nb\nc', 'a\nb\nc!')).toEqual({ text: 'A\nb\nc!', conflicts: 0 });
  });
});

describe('SAFE-64: the CLI never writes outside the shared folder', () => {
  it('SAFE-64: room paths are checked before they become file paths; symlinked folders are noticed', async () => {
    const dir = join(scratch, 'shared');
    mkdirSync(join(dir, 'real'), { recursive: true });
    expect(inside(dir, 'real/a.txt')).toBe(join(dir, 'real/a.txt'));
    for (const bad of ['../outside.txt', '/etc/passwd', 'a/../../x', 'a\\b', '']) {
      expect(() => inside(dir, bad), bad).toThrow(/refusing the path/);
    }
    symlinkSync('/tmp', join(dir, 'link'));
    expect(await throughLink(dir, inside(dir, 'link/evil.txt'))).toBe(true);
    expect(await throughLink(dir, inside(dir, 'real/fine.txt'))).toBe(false);
    expect(await throughLink(dir, inside(dir, 'new/folder/fine.txt'))).toBe(false);
  });
});
