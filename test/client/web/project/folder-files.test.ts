import { describe, expect, it } from 'vitest';
import { filesOfDrop } from '../../../../client/web/src/project/folder-files.ts';

// Issue 11: "drag a folder ... onto the file tree". Chromium's tests cannot drop a real folder (a synthetic
// DataTransfer carries files only), so the walk over the File System Entry API is tested here with entries
// shaped as Chromium gives them: readEntries answers in batches and then an empty one.

type Entry = FileSystemEntry;
function file(name: string, text: string): Entry {
  return {
    name,
    isFile: true,
    isDirectory: false,
    file: (ok: (f: File) => void) => ok(new File([text], name)),
  } as unknown as Entry;
}
function dir(name: string, children: Entry[], batch = 2): Entry {
  return {
    name,
    isFile: false,
    isDirectory: true,
    createReader: () => {
      let at = 0;
      return {
        readEntries: (ok: (entries: Entry[]) => void) => {
          const next = children.slice(at, at + batch);
          at += next.length;
          queueMicrotask(() => ok(next));
        },
      };
    },
  } as unknown as Entry;
}
const dropOf = (...roots: Entry[]) =>
  roots.map((entry) => ({ webkitGetAsEntry: () => entry })) as unknown as DataTransferItemList;

const project = dir('my-service', [
  file('README.md', '# hi\n'),
  dir('src', [file('a.ts', 'a'), file('b.ts', 'b'), dir('deep', [file('c.ts', 'c')])]),
  dir('node_modules', [dir('x', [file('index.js', 'never read')])]),
  dir('.git', [file('HEAD', 'ref: refs/heads/main\n')]),
  file('.gitignore', 'dist/\n'),
]);

describe('WEB-25: a folder dropped on the file tree', () => {
  it('WEB-25: one dropped folder is the project: every file under it by its path inside, across readEntries batches; node_modules and .git are never entered', async () => {
    const picked = await filesOfDrop(dropOf(project));
    expect(picked?.map((p) => p.path).sort()).toEqual([
      '.gitignore',
      'README.md',
      'src/a.ts',
      'src/b.ts',
      'src/deep/c.ts',
    ]);
    expect(await picked?.find((p) => p.path === 'src/deep/c.ts')?.file.text()).toBe('c');
  });

  it('WEB-25: several dropped items keep their own names; files alone are not a folder drop (an archive is)', async () => {
    const picked = await filesOfDrop(dropOf(dir('lib', [file('x.ts', 'x')]), file('notes.md', 'n')));
    expect(picked?.map((p) => p.path).sort()).toEqual(['lib/x.ts', 'notes.md']);
    expect(await filesOfDrop(dropOf(file('repo.zip', 'PK')))).toBeNull();
  });
});
