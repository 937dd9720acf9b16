import { delta, end, type Fixture, start, text } from './edit-parser-events.ts';

/** What real models write (issue 16): lenient in reading, never a marker line in the code. */
export const realModelFixtures: Fixture[] = [
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
