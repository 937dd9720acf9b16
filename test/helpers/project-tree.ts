import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

/**
 * A real project on disk for import/export tests: a git repository (`git init`, a commit) whose tree has
 * what real repositories have: nested folders, LF and CRLF files, a file without a final newline, an
 * empty file, a BOM, non-ASCII names, a .gitignore'd folder and file, a binary, a Latin-1 file,
 * node_modules/ and .git/.
 */
export interface ProjectTree {
  dir: string;
  /** files an import must bring in, by path, with their exact bytes */
  importable: Map<string, Buffer>;
  /** files an import must leave out, by path, with the reason the answer gives */
  leftOut: Map<string, string>;
  cleanup(): void;
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
      GIT_CONFIG_NOSYSTEM: '1',
    },
  });
}

export function writeTree(dir: string, files: Record<string, string | Buffer>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

export function makeProjectRepo(): ProjectTree {
  const dir = mkdtempSync(join(tmpdir(), 'sparkroom-repo-'));
  const importable: Record<string, string | Buffer> = {
    'README.md': '# Demo\n\nA small service.\n',
    'src/main.ts': 'export function main(): void {\n  console.log("hi");\n}\n',
    'src/windows.txt': 'line one\r\nline two\r\n',
    'src/no-final-newline.ts': 'export const x = 1;',
    'src/empty.ts': '',
    'src/bom.txt': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('with a BOM\n')]),
    'src/mixed-endings.txt': 'lf\ncrlf\r\ncr only\rend',
    'docs/ünïcødé 名前.md': 'Ünïcødé text ✓ — 名前\n',
    'nested/deep/a/b/c.ts': 'export const deep = true;\n',
    '.gitignore': 'dist/\n*.log\n!keep.log\n',
    'keep.log': 'kept by a negation\n',
    'src/.gitignore': 'generated/\n',
  };
  const leftOut: Record<string, [string | Buffer, string]> = {
    'dist/bundle.js': ['console.log("built")\n', 'ignored'],
    'debug.log': ['noise\n', 'ignored'],
    'src/generated/types.ts': ['export type T = 1;\n', 'ignored'],
    'assets/logo.png': [
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48]),
      'binary',
    ],
    'legacy/latin1.txt': [Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]), 'not_utf8'],
    'node_modules/left-pad/index.js': ['module.exports = 1;\n', 'ignored'],
  };
  writeTree(dir, importable);
  writeTree(dir, Object.fromEntries(Object.entries(leftOut).map(([p, [c]]) => [p, c])));
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'initial');
  return {
    dir,
    importable: new Map(
      Object.entries(importable).map(([p, c]) => [p, typeof c === 'string' ? Buffer.from(c) : c]),
    ),
    leftOut: new Map(Object.entries(leftOut).map(([p, [, reason]]) => [p, reason])),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Zips a folder with Info-ZIP's `zip` (symlinks stored as links with `-y`), as a person would. */
export function zipDir(dir: string, out: string, opts: { symlinks?: boolean } = {}): Buffer {
  execFileSync('zip', ['-q', '-r', ...(opts.symlinks ? ['-y'] : []), out, '.'], { cwd: dir });
  return readFileSync(out);
}

/** `tar czf` of a folder with GNU tar. */
export function tarGzDir(dir: string, out: string): Buffer {
  execFileSync('tar', ['czf', out, '-C', dir, '.']);
  return readFileSync(out);
}

/** Every regular file under `dir` (relative paths, '/' separated), skipping the folders named. */
export function listFiles(dir: string, skip: string[] = []): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = join(at, entry.name);
      const rel = relative(dir, full).split('\\').join('/');
      if (skip.includes(rel)) continue;
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push(rel);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * A tree of `count` source-like files totalling about `bytes` (benchmarks and the event-loop test). Lines
 * vary (seeded identifiers and numbers), so it compresses about as well as real code (3-5x), not 100x.
 */
export function syntheticTree(count: number, bytes: number): Record<string, string> {
  const files: Record<string, string> = {};
  const per = Math.max(1, Math.floor(bytes / count));
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed;
  };
  const words = [
    'request',
    'response',
    'user',
    'order',
    'cache',
    'token',
    'retry',
    'handler',
    'config',
    'event',
  ];
  const word = () => words[rand() % words.length]!;
  const ident = () => `${word()}${word()[0]!.toUpperCase()}${word().slice(1)}${rand() % 1000}`;
  for (let i = 0; i < count; i++) {
    const path = `src/module-${Math.floor(i / 50)}/file-${i}.ts`;
    let body = `// file ${i}\n`;
    for (;;) {
      const line = `export function ${ident()}(${word()}: ${ident()}): number { return ${rand() % 100000} + ${word()}.${ident()}; }\n`;
      if (body.length + line.length > per) break;
      body += line;
    }
    files[path] = body;
  }
  return files;
}
