import { css } from '@codemirror/lang-css';
import { javascript } from '@codemirror/lang-javascript';
import { json } from '@codemirror/lang-json';
import { markdown } from '@codemirror/lang-markdown';
import { python } from '@codemirror/lang-python';
import { EditorState, type Extension } from '@codemirror/state';
import { describe, expect, it } from 'vitest';
import { documentSymbols } from '../../../../client/web/src/nav/symbols.ts';

const symbols = (doc: string, lang: Extension) =>
  documentSymbols(EditorState.create({ doc, extensions: [lang] })).map(
    (s) => `${s.depth}:${s.kind}:${s.name}@${s.line}`,
  );

describe('symbols from the syntax tree (NAV-4)', () => {
  it('TypeScript: functions, classes with members, interfaces, types, top-level arrow functions', () => {
    const doc = [
      'import { x } from "./x";',
      'export interface Shape { area(): number }',
      'type Id = string;',
      'export class Circle implements Shape {',
      '  private r = 1;',
      '  area(): number {',
      '    const inner = () => 1;',
      '    return inner();',
      '  }',
      '}',
      'export function main(): void {}',
      'export const handler = async () => {};',
      'const limit = 3;',
    ].join('\n');
    expect(symbols(doc, javascript({ typescript: true }))).toEqual([
      '0:interface:Shape@2',
      '1:method:area@2',
      '0:type:Id@3',
      '0:class:Circle@4',
      '1:property:r@5',
      '1:method:area@6',
      '0:function:main@11',
      '0:function:handler@12',
      '0:variable:limit@13',
    ]);
  });

  it('Python, Markdown headings by level, CSS rules, top-level JSON keys', () => {
    expect(
      symbols('class A:\n    def run(self):\n        pass\n\ndef main():\n    pass\n', python()),
    ).toEqual(['0:class:A@1', '1:function:run@2', '0:function:main@5']);
    expect(symbols('# Title\n\ntext\n\n## Part one ##\n\nSub\n---\n', markdown())).toEqual([
      '0:heading:Title@1',
      '1:heading:Part one@5',
      '1:heading:Sub@7',
    ]);
    expect(symbols('.a, .b > p { color: red }\n@media (x) { .c { top: 0 } }\n', css())).toContain(
      '0:rule:.a, .b > p@1',
    );
    expect(symbols('{"name": "x", "deps": {"inner": 1}}', json())).toEqual(['0:key:name@1', '0:key:deps@1']);
  });

  it('plain text has no symbols', () => {
    expect(symbols('just words\n', [])).toEqual([]);
  });
});
