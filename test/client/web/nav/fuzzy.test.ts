import { describe, expect, it } from 'vitest';
import { fuzzyMatch, rankPaths } from '../../../../client/web/src/nav/fuzzy.ts';

describe('fuzzy path matching (NAV-2)', () => {
  it('matches the characters in order, ignoring case, and returns where', () => {
    expect(fuzzyMatch('mr', 'src/mount-room.ts')?.positions).toEqual([4, 10]);
    expect(fuzzyMatch('MOUNT', 'src/mount-room.ts')?.positions).toEqual([4, 5, 6, 7, 8]);
    expect(fuzzyMatch('rm', 'src/mount-room.ts')).not.toBeNull();
    expect(fuzzyMatch('xyz', 'src/mount-room.ts')).toBeNull();
    expect(fuzzyMatch('tsm', 'a.ts')).toBeNull();
  });

  it('prefers segment starts, the file name and consecutive letters', () => {
    const ranked = rankPaths('fitr', ['src/fix/other.ts', 'src/room/file-tree.ts', 'lib/fitr.ts'], []);
    expect(ranked.map((r) => r.path)).toEqual(['lib/fitr.ts', 'src/room/file-tree.ts', 'src/fix/other.ts']);
    const byName = rankPaths('main', ['main/deep/util.ts', 'src/main.ts'], []);
    expect(byName[0]?.path).toBe('src/main.ts');
  });

  it('lists recent files first on an empty query, then the rest in order', () => {
    const ranked = rankPaths('', ['b.ts', 'a.ts', 'c.ts', 'gone.ts'].slice(0, 3), ['c.ts', 'gone.ts']);
    expect(ranked.map((r) => r.path)).toEqual(['c.ts', 'a.ts', 'b.ts']);
  });

  it('lifts a recent file among equal matches, and caps the list', () => {
    const paths = Array.from({ length: 500 }, (_, i) => `src/module-${i}/index.ts`);
    const ranked = rankPaths('index', paths, ['src/module-321/index.ts'], 50);
    expect(ranked).toHaveLength(50);
    expect(ranked[0]?.path).toBe('src/module-321/index.ts');
  });
});
