import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createFile, deleteFile, pathProblem, renameFile } from '../../../../client/web/src/room/file-ops.ts';

function replicas() {
  const a = new Y.Doc();
  const b = new Y.Doc();
  const updates: Uint8Array[] = [];
  a.on('update', (u: Uint8Array) => {
    updates.push(u);
    Y.applyUpdate(b, u);
  });
  return { a, b, filesA: a.getMap<Y.Text>('files'), filesB: b.getMap<Y.Text>('files'), updates };
}

describe('collaborative file operations', () => {
  it('creates a file with content that the other replica sees', () => {
    const { filesA, filesB } = replicas();
    createFile(filesA, 'src/main.ts', 'export {};\n');
    expect(filesB.get('src/main.ts')?.toString()).toBe('export {};\n');
  });

  it('renames in one update: the other side never sees both names or neither', () => {
    const { filesA, filesB, updates } = replicas();
    createFile(filesA, 'a.ts', 'const x = 1;\n');
    const seen: string[][] = [];
    filesB.observe(() => seen.push([...filesB.keys()].sort()));
    updates.length = 0;
    renameFile(filesA, 'a.ts', 'lib/b.ts');
    expect(updates).toHaveLength(1);
    expect(seen).toEqual([['lib/b.ts']]);
    expect(filesB.get('lib/b.ts')?.toString()).toBe('const x = 1;\n');
  });

  it('deletes for everyone', () => {
    const { filesA, filesB } = replicas();
    createFile(filesA, 'a.ts');
    deleteFile(filesA, 'a.ts');
    expect(filesB.has('a.ts')).toBe(false);
  });

  it('refuses paths the server would refuse, duplicates, and file/folder clashes', () => {
    const { filesA } = replicas();
    createFile(filesA, 'src/a.ts');
    expect(pathProblem(filesA, '../etc/passwd')).toMatch(/relative path/);
    expect(pathProblem(filesA, '/abs.ts')).toMatch(/relative path/);
    expect(pathProblem(filesA, 'src/a.ts')).toMatch(/already exists/);
    expect(pathProblem(filesA, 'src')).toMatch(/is a folder/);
    expect(pathProblem(filesA, 'src/a.ts/b.ts')).toMatch(/is a file/);
    expect(pathProblem(filesA, 'src/b.ts')).toBeNull();
    expect(() => createFile(filesA, 'src/a.ts')).toThrow(/already exists/);
    expect(() => renameFile(filesA, 'nope.ts', 'x.ts')).toThrow(/does not exist/);
    expect(() => renameFile(filesA, 'src/a.ts', 'bad//path')).toThrow(/relative path/);
    expect(filesA.has('src/a.ts')).toBe(true);
  });
});
