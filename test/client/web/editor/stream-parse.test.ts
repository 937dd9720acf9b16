import { javascriptLanguage, typescriptLanguage } from '@codemirror/lang-javascript';
import { markdownLanguage } from '@codemirror/lang-markdown';
import { pythonLanguage } from '@codemirror/lang-python';
import { defaultHighlightStyle, type Language } from '@codemirror/language';
import type { Tree } from '@lezer/common';
import { describe, expect, it } from 'vitest';
import { TextLog } from '../../../../client/sdk/text-log.ts';
import { colourSpans } from '../../../../client/web/src/editor/proposal-text.ts';
import { LogInput, StreamParse } from '../../../../client/web/src/editor/stream-parse.ts';

/** A long proposal in a few shapes the parser nests differently: flat statements, a growing block, a comment and a template across lines. */
function proposal(lines: number): string {
  let text = 'export class Parts {\n  mul(a: number, b: number): string {\n';
  for (let i = 0; i < lines; i++) {
    if (i % 9 === 0)
      text += `    if (a > ${i}) {\n      return \`part \${a}\n      of ${i}\`; // ${i}\n    }\n`;
    else if (i % 13 === 0) text += `    /* a comment\n       over two lines ${i} */\n`;
    else text += `    const p${i}: Map<string, number> = new Map([['k', ${i} * b]]);\n`;
  }
  return `${text}  }\n}\nconst after = 1;\n`;
}

/** The text as Spark streams it: a few lines a frame, each frame's text ending at a line end. */
function frames(text: string, linesPerFrame: number): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < text.length) {
    let next = at;
    for (let n = 0; n < linesPerFrame && next < text.length; n++)
      next = text.indexOf('\n', next) + 1 || text.length;
    out.push(text.slice(0, next));
    at = next;
  }
  return out;
}

const colours = (tree: Tree, end: number) => colourSpans(tree, defaultHighlightStyle, 0, end);

// The JavaScript case failed with the parse's buffers cut to 128 entries (the class name `Parts` coloured as a
// variable in the first frame); see stream-parse.ts.
describe('a streamed proposal is parsed as it grows', () => {
  const cases: [string, Language, string][] = [
    ['TypeScript', typescriptLanguage, proposal(400)],
    ['JavaScript', javascriptLanguage, proposal(120).replace(/: (number|string|Map<string, number>)/g, '')],
    [
      'Python',
      pythonLanguage,
      Array.from({ length: 300 }, (_, i) =>
        i % 5 ? `    x${i} = f(${i}) # c\n` : `def g${i}():\n    """doc\n    ${i}"""\n`,
      ).join(''),
    ],
    [
      'Markdown (not an LR parser)',
      markdownLanguage,
      Array.from({ length: 80 }, (_, i) => `- item *${i}* \`code\`\n`).join(''),
    ],
  ];
  for (const [name, lang, text] of cases) {
    it(`WEB-115: every frame of a ${name} proposal has the colours of the whole text parsed at once`, () => {
      const parse = new StreamParse(lang);
      const all = frames(text, 7);
      expect(all.length).toBeGreaterThan(10);
      for (const frame of all) {
        const streamed = colours(parse.parseTo(frame, frame.length), frame.length);
        expect(streamed).toEqual(colours(lang.parser.parse(frame), frame.length));
      }
    });
    it(`WEB-115 (PERF-144: read through a LogInput): every frame of a ${name} proposal has the colours of the whole text parsed at once`, () => {
      // The log gets the text in pieces of 37 characters as tokens would bring it, so its chunks end
      // anywhere in a token; each frame is parsed up to a line end short of the log's end.
      const log = new TextLog();
      const parse = new StreamParse(lang);
      let frames = 0;
      for (let at = 0; at < text.length; at += 37) {
        log.append(text.slice(at, at + 37));
        const end = log.lastNewlineBefore(log.length) + 1;
        if (at % (37 * 3) !== 0 || end === 0) continue;
        frames++;
        const streamed = colours(parse.parseTo(new LogInput(log, end), end), end);
        expect(streamed).toEqual(colours(lang.parser.parse(text.slice(0, end)), end));
      }
      expect(frames).toBeGreaterThan(10);
    });
  }
});
