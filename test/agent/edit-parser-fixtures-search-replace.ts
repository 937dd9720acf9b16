import { delta, end, error, type Fixture, start, text } from './edit-parser-events.ts';

/** The SEARCH/REPLACE grammar (aider). */
export const searchReplaceFixtures: Fixture[] = [
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
];
