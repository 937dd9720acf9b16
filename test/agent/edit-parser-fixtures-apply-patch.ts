import { delta, end, error, type Fixture, start, text } from './edit-parser-events.ts';

/** The apply_patch grammar (Codex). */
export const applyPatchFixtures: Fixture[] = [
  {
    name: 'apply_patch: one hunk with prose around it',
    format: 'apply_patch',
    input: `I'll fix the sign.
*** Begin Patch
*** Update File: src/math.ts
@@
 export function add(a: number, b: number): number {
-  return a - b;
+  return a + b;
 }
*** End Patch
Fixed the sign in add().
`,
    expected: [
      text("I'll fix the sign.\n"),
      start(0, 'src/math.ts', 'export function add(a: number, b: number): number {\n', '  return a - b;\n'),
      delta(0, '  return a + b;\n'),
      end(0),
      text('Fixed the sign in add().\n'),
    ],
  },
  {
    name: 'apply_patch: several runs per section; a run right after a hunk takes its original as context',
    format: 'apply_patch',
    input: `*** Begin Patch
*** Update File: a.py
@@ def f():
 x = 1
-y = 2
+y = 3
 z = 4
-w = 5
+w = 6
+v = 7
@@
-p = 1
+p = 2
-q = 1
+q = 2
*** End Patch
`,
    expected: [
      start(0, 'a.py', 'x = 1\n', 'y = 2\n', { headers: ['def f():'] }),
      delta(0, 'y = 3\n'),
      end(0),
      start(1, 'a.py', 'z = 4\n', 'w = 5\n', { headers: ['def f():'] }),
      delta(1, 'w = 6\nv = 7\n'),
      end(1),
      start(2, 'a.py', '', 'p = 1\n'),
      delta(2, 'p = 2\n'),
      end(2),
      start(3, 'a.py', 'p = 1\n', 'q = 1\n'),
      delta(3, 'q = 2\n'),
      end(3),
    ],
  },
  {
    name: 'apply_patch: pure deletions (before context, and at the end of a section)',
    format: 'apply_patch',
    input: `*** Begin Patch
*** Update File: a.py
@@
 keep
-gone1
-gone2
 after
-last
*** End Patch
`,
    expected: [
      start(0, 'a.py', 'keep\n', 'gone1\ngone2\n'),
      end(0),
      start(1, 'a.py', 'after\n', 'last\n'),
      end(1),
    ],
  },
  {
    name: 'apply_patch: insertions after context, and at the top of a section (anchored on the line below)',
    format: 'apply_patch',
    input: `*** Begin Patch
*** Update File: a.ts
@@
+import { b } from './b.ts';
 import { c } from './c.ts';

+export const d = 1;
*** End Patch
`,
    expected: [
      start(0, 'a.ts', '', "import { c } from './c.ts';\n"),
      delta(0, "import { b } from './b.ts';\nimport { c } from './c.ts';\n"),
      end(0),
      start(1, 'a.ts', '\n', ''),
      delta(1, 'export const d = 1;\n'),
      end(1),
    ],
  },
  {
    name: 'apply_patch: added lines before removed ones at the top of a section',
    format: 'apply_patch',
    input: `*** Begin Patch
*** Update File: a.ts
@@
+new
-old
+newer
*** End Patch
`,
    expected: [start(0, 'a.ts', '', 'old\n'), delta(0, 'new\nnewer\n'), end(0)],
  },
  {
    name: 'apply_patch: Add File and Delete File',
    format: 'apply_patch',
    input: `*** Begin Patch
*** Add File: src/new.ts
+export const x = 1;
+
 forgot the plus
*** Delete File: old.ts
*** End Patch
`,
    expected: [
      start(0, 'src/new.ts', '', '', { newFile: true }),
      delta(0, 'export const x = 1;\n\n'),
      error('in Add File src/new.ts'),
      end(0),
      start(1, 'old.ts', '', '', { deleteFile: true }),
      end(1),
    ],
  },
  {
    name: 'apply_patch: a fenced patch loses its fences; other fences are prose',
    format: 'apply_patch',
    input: `Example:
\`\`\`ts
const a = 1;
\`\`\`
\`\`\`diff
*** Begin Patch
*** Update File: a.ts
@@
-const a = 1;
+const a = 2;
*** End Patch
\`\`\`
Done.
`,
    expected: [
      text('Example:\n```ts\nconst a = 1;\n```\n'),
      start(0, 'a.ts', '', 'const a = 1;\n'),
      delta(0, 'const a = 2;\n'),
      end(0),
      text('Done.\n'),
    ],
  },
  {
    name: 'apply_patch: malformed lines and markers are reported and skipped',
    format: 'apply_patch',
    input: `*** Begin Patch
*** Update File:
*** Update File: a.ts
*** Move to: b.ts
@@
?weird
-x
+y
*** Bogus
stray
*** End Patch
*** Begin Patch
stray too
*** End Patch
`,
    expected: [
      error('without a path'),
      start(0, 'a.ts', '', '', { moveTo: 'b.ts' }),
      end(0),
      error('unexpected line in a.ts'),
      start(1, 'a.ts', '', 'x\n'),
      delta(1, 'y\n'),
      error('unknown marker'),
      error('unexpected line in a.ts: stray'),
      end(1),
      error('outside a file section'),
    ],
  },
  {
    name: 'apply_patch: AGENT-17 a rename with edits, a bare rename, a delete',
    format: 'apply_patch',
    input: `*** Begin Patch
*** Update File: src/a.ts
*** Move to: src/b.ts
@@
-const a = 1;
+const b = 1;
*** Update File: c.ts
 *** Move to:  lib/c.ts  
*** Delete File: old.ts
*** Update File: d.ts
*** Move to:
*** End Patch
`,
    expected: [
      start(0, 'src/a.ts', '', '', { moveTo: 'src/b.ts' }),
      end(0),
      start(1, 'src/a.ts', '', 'const a = 1;\n'),
      delta(1, 'const b = 1;\n'),
      end(1),
      start(2, 'c.ts', '', '', { moveTo: 'lib/c.ts' }),
      end(2),
      start(3, 'old.ts', '', '', { deleteFile: true }),
      end(3),
      error('"*** Move to:" without a path'),
    ],
  },
  {
    name: 'apply_patch: an edit to a file the model never saw is reported under its name',
    format: 'apply_patch',
    input: '*** Begin Patch\n*** Update File: secret/keys.ts\n@@\n-a\n+b\n*** End Patch\n',
    expected: [start(0, 'secret/keys.ts', '', 'a\n'), delta(0, 'b\n'), end(0)],
  },
  {
    name: 'apply_patch: file operations without *** Begin Patch; the stream stops mid-line',
    format: 'apply_patch',
    input: 'Sure.\n*** Update File: a.ts\n@@\n x\n-y\n+z is hal',
    expected: [text('Sure.\n'), start(0, 'a.ts', 'x\n', 'y\n'), delta(0, 'z is hal'), end(0, false)],
  },
  {
    name: 'apply_patch: a marker cut off by the end of the stream is dropped',
    format: 'apply_patch',
    input: '*** Begin Patch\n*** Update File: a.ts\n@@\n-y\n+z\n*** Delete File: b.t',
    expected: [start(0, 'a.ts', '', 'y\n'), delta(0, 'z\n'), end(0)],
  },
  {
    name: 'apply_patch: a deletion cut off by the end of the stream is incomplete',
    format: 'apply_patch',
    input: '*** Begin Patch\n*** Update File: a.ts\n@@\n ctx\n-y\n-z',
    expected: [start(0, 'a.ts', 'ctx\n', 'y\nz\n'), end(0, false)],
  },
];
