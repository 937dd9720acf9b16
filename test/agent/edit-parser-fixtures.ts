import { expect } from 'vitest';
import type { EditFormat } from '../../server/agent/edit-parser.ts';

/**
 * The edit parser's table: model output and the events it must give, whatever the chunking. Shared by
 * the chunk-boundary, one-character and random-split tests in edit-parser.test.ts.
 */

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

export const fixtures: Fixture[] = [
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
  {
    name: 'search_replace: path before the fence, line hint, prose around',
    format: 'search_replace',
    input: `Fixing the sign.
src/math.ts
\`\`\`ts
<<<<<<< SEARCH line=12
  return a - b;
=======
  return a + b;
>>>>>>> REPLACE
\`\`\`
Done.
`,
    expected: [
      text('Fixing the sign.\n'),
      start(0, 'src/math.ts', '', '  return a - b;\n', { lineHint: 12 }),
      delta(0, '  return a + b;\n'),
      end(0),
      text('Done.\n'),
    ],
  },
  {
    name: 'search_replace: path inside the fence, several blocks in one fence, a block reusing the file',
    format: 'search_replace',
    input: `\`\`\`python
app/main.py
<<<<<<< SEARCH
x = 1
=======
x = 2
>>>>>>> REPLACE
**app/util.py**
<<<<<<< SEARCH
def f():
=======
def f(a):
>>>>>>> REPLACE
<<<<<<< SEARCH
    pass
=======
    return a
>>>>>>> REPLACE
\`\`\`
Now the other one:
`,
    expected: [
      start(0, 'app/main.py', '', 'x = 1\n'),
      delta(0, 'x = 2\n'),
      end(0),
      start(1, 'app/util.py', '', 'def f():\n'),
      delta(1, 'def f(a):\n'),
      end(1),
      start(2, 'app/util.py', '', '    pass\n'),
      delta(2, '    return a\n'),
      end(2),
      text('Now the other one:\n'),
    ],
  },
  {
    name: 'search_replace: an empty SEARCH creates a file; decorated path lines are cleaned',
    format: 'search_replace',
    input: `### \`src/new.ts\`:
<<<<<<< SEARCH
=======
export const x = 1;
>>>>>>> REPLACE
`,
    expected: [start(0, 'src/new.ts', '', '', { newFile: true }), delta(0, 'export const x = 1;\n'), end(0)],
  },
  {
    name: 'search_replace: replacement lines that only look like markers are content',
    format: 'search_replace',
    input: `doc.md
<<<<<<< SEARCH
Title
=======
Title
=======
> quoted
>>>> not a marker
<div>
<<<<<<<
>>>>>>> REPLACE now
  >>>>>>> REPLACE
`,
    expected: [
      start(0, 'doc.md', '', 'Title\n'),
      delta(0, 'Title\n=======\n> quoted\n>>>> not a marker\n<div>\n<<<<<<<\n>>>>>>> REPLACE now\n'),
      end(0),
    ],
  },
  {
    name: 'search_replace: a block with no path is skipped; broken blocks are reported',
    format: 'search_replace',
    input: `<<<<<<< SEARCH
a
=======
b
>>>>>>> REPLACE
Some words here.
x.ts
<<<<<<< SEARCH
c
>>>>>>> REPLACE
x.ts
<<<<<<< SEARCH
d
=======
e
<<<<<<< SEARCH line=3
f
=======
g
>>>>>>> REPLACE
`,
    expected: [
      error('no file path'),
      text('Some words here.\n'),
      error('no ======='),
      start(0, 'x.ts', '', 'd\n'),
      delta(0, 'e\n'),
      error('no >>>>>>> REPLACE'),
      end(0, false),
      start(1, 'x.ts', '', 'f\n', { lineHint: 3 }),
      delta(1, 'g\n'),
      end(1),
    ],
  },
  {
    name: 'search_replace: path-like prose lines come out as text when no block follows',
    format: 'search_replace',
    input: 'Done.\nsrc/a.ts\n\nAll good\nsrc/b.ts',
    expected: [text('Done.\nsrc/a.ts\n\nAll good\nsrc/b.ts')],
  },
  {
    name: 'search_replace: interrupted inside REPLACE, with a cut-off marker',
    format: 'search_replace',
    input: 'a.ts\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPL',
    expected: [start(0, 'a.ts', '', 'x\n'), delta(0, 'y\n'), end(0, false)],
  },
  {
    name: 'search_replace: interrupted mid-line inside REPLACE',
    format: 'search_replace',
    input: 'a.ts\n<<<<<<< SEARCH\nx\n=======\nhalf a li',
    expected: [start(0, 'a.ts', '', 'x\n'), delta(0, 'half a li'), end(0, false)],
  },
  {
    name: 'search_replace: interrupted inside SEARCH',
    format: 'search_replace',
    input: 'a.ts\n<<<<<<< SEARCH\nx\ny',
    expected: [error('ended inside the SEARCH block for a.ts')],
  },
  {
    name: 'search_replace: CRLF output',
    format: 'search_replace',
    input: 'a.ts\r\n<<<<<<< SEARCH\r\nx\r\n=======\r\ny\r\n>>>>>>> REPLACE\r\nok\r\n',
    expected: [start(0, 'a.ts', '', 'x\r\n'), delta(0, 'y\r\n'), end(0), text('ok\r\n')],
  },
  // --- what real models write (issue 16): lenient in reading, never a marker line in the code ---
  {
    name: 'AGENT-13: `=======` closing a REPLACE section at the end of the stream',
    format: 'search_replace',
    input: 'src/a.ts\n<<<<<<< SEARCH\nold\n=======\nnew\n=======\n',
    expected: [start(0, 'src/a.ts', '', 'old\n'), delta(0, 'new\n'), end(0)],
  },
  {
    name: 'AGENT-13: a doubled `=======` closing the section, then prose',
    format: 'search_replace',
    input: 'src/a.ts\n<<<<<<< SEARCH\nold\n=======\nnew\n=======\n=======\n\nThis renames it.\n',
    expected: [start(0, 'src/a.ts', '', 'old\n'), delta(0, 'new\n'), end(0), text('\nThis renames it.\n')],
  },
  {
    name: 'AGENT-13: `=======` then the closing fence and prose',
    format: 'search_replace',
    input: '```ts\nsrc/a.ts\n<<<<<<< SEARCH\nold\n=======\nnew\n=======\n```\nThis fixes it.\n',
    expected: [start(0, 'src/a.ts', '', 'old\n'), delta(0, 'new\n'), end(0), text('This fixes it.\n')],
  },
  {
    name: 'AGENT-13: `=======` then the next block (its path and SEARCH line)',
    format: 'search_replace',
    input: `a.ts
<<<<<<< SEARCH
x
=======
y
=======
Then the other file:
b.ts
<<<<<<< SEARCH
z
=======
w
>>>>>>> REPLACE
`,
    expected: [
      start(0, 'a.ts', '', 'x\n'),
      delta(0, 'y\n'),
      end(0),
      text('Then the other file:\n'),
      start(1, 'b.ts', '', 'z\n'),
      delta(1, 'w\n'),
      end(1),
    ],
  },
  {
    name: 'AGENT-13: `=======` right before `>>>>>>> REPLACE` is dropped; a doubled one opening the section too',
    format: 'search_replace',
    input: `a.ts
<<<<<<< SEARCH
x
=======
y
=======
>>>>>>> REPLACE
<<<<<<< SEARCH
p
=======
=======
q
>>>>>>> REPLACE
`,
    expected: [
      start(0, 'a.ts', '', 'x\n'),
      delta(0, 'y\n'),
      end(0),
      start(1, 'a.ts', '', 'p\n'),
      delta(1, 'q\n'),
      end(1),
    ],
  },
  {
    name: 'AGENT-13: a heading underline followed by more text and `>>>>>>> REPLACE` is replacement text',
    format: 'search_replace',
    input: 'README.rst\n<<<<<<< SEARCH\nOld\n=======\nTitle\n=======\n\nText.\n>>>>>>> REPLACE\n',
    expected: [start(0, 'README.rst', '', 'Old\n'), delta(0, 'Title\n=======\n\nText.\n'), end(0)],
  },
  {
    name: 'AGENT-16: a path on the fence line (aider); the prose line before it is not the path',
    format: 'search_replace',
    input: 'Fix:\n```src/app.ts\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n```\nDone.\n',
    expected: [text('Fix:\n'), start(0, 'src/app.ts', '', 'a\n'), delta(0, 'b\n'), end(0), text('Done.\n')],
  },
  {
    name: 'AGENT-16: a language and a path on the fence line; a path alone in its own fence before the block',
    format: 'search_replace',
    input: `\`\`\`ts src/app.ts
<<<<<<< SEARCH
a
=======
b
>>>>>>> REPLACE
\`\`\`
Next:
\`\`\`python
word_count.py
\`\`\`
\`\`\`python
<<<<<<< SEARCH
c
=======
d
>>>>>>> REPLACE
\`\`\`
`,
    expected: [
      start(0, 'src/app.ts', '', 'a\n'),
      delta(0, 'b\n'),
      end(0),
      text('Next:\n'),
      start(1, 'word_count.py', '', 'c\n'),
      delta(1, 'd\n'),
      end(1),
    ],
  },
  {
    name: 'AGENT-18: padded patch markers (Codex lenient mode)',
    format: 'apply_patch',
    input: '*** Begin Patch  \n  *** Update File: a.ts\n@@\n-a\n+b\n *** End Patch\nDone.\n',
    expected: [start(0, 'a.ts', '', 'a\n'), delta(0, 'b\n'), end(0), text('Done.\n')],
  },
  {
    name: 'AGENT-14: `@@` headers go with their section (consecutive ones nest); a unified-diff range is not one',
    format: 'apply_patch',
    input: `*** Begin Patch
*** Update File: app.py
@@ class B
@@ def handler(request):
-    return None
+    return ok(request)
@@ -40,3 +40,3 @@
-x
+y
*** End Patch
`,
    expected: [
      start(0, 'app.py', '', '    return None\n', { headers: ['class B', 'def handler(request):'] }),
      delta(0, '    return ok(request)\n'),
      end(0),
      start(1, 'app.py', '', 'x\n'),
      delta(1, 'y\n'),
      end(1),
    ],
  },
  {
    name: 'AGENT-15: sections of `+` lines only are pure additions (with `*** End of File`, or not)',
    format: 'apply_patch',
    input: `*** Begin Patch
*** Update File: a.ts
@@ export function add
+export const z = 1;
+export const w = 2;
*** End of File
@@
+// tail
*** End Patch
`,
    expected: [
      start(0, 'a.ts', '', '', { headers: ['export function add'], append: true }),
      delta(0, 'export const z = 1;\nexport const w = 2;\n'),
      end(0),
      start(1, 'a.ts', '', '', { append: true }),
      delta(1, '// tail\n'),
      end(1),
    ],
  },
];
