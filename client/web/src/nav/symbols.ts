import { ensureSyntaxTree, syntaxTree } from '@codemirror/language';
import type { EditorState } from '@codemirror/state';

/** A Lezer syntax node (the type @codemirror/language hands out; @lezer/common is not ours to import). */
type SyntaxNode = ReturnType<typeof syntaxTree>['topNode'];

export type SymbolKind =
  | 'function'
  | 'class'
  | 'method'
  | 'interface'
  | 'type'
  | 'enum'
  | 'variable'
  | 'property'
  | 'heading'
  | 'rule'
  | 'key';

export interface DocSymbol {
  name: string;
  kind: SymbolKind;
  /** where the symbol's declaration starts (the jump target) */
  from: number;
  /** 1-based line of `from` */
  line: number;
  /** nesting: a method inside a class is 1, a heading's level minus one */
  depth: number;
}

/** What a syntax node declares, by the node names of the Lezer grammars we load (language-for.ts). */
const declarations: Record<string, { kind: SymbolKind; name: string[] }> = {
  // JavaScript / TypeScript
  FunctionDeclaration: { kind: 'function', name: ['VariableDefinition'] },
  ClassDeclaration: { kind: 'class', name: ['VariableDefinition', 'TypeDefinition'] },
  MethodDeclaration: { kind: 'method', name: ['PropertyDefinition', 'PrivatePropertyDefinition'] },
  PropertyDeclaration: { kind: 'property', name: ['PropertyDefinition', 'PrivatePropertyDefinition'] },
  MethodType: { kind: 'method', name: ['PropertyDefinition'] },
  InterfaceDeclaration: { kind: 'interface', name: ['TypeDefinition'] },
  TypeAliasDeclaration: { kind: 'type', name: ['TypeDefinition'] },
  EnumDeclaration: { kind: 'enum', name: ['TypeDefinition', 'VariableDefinition'] },
  // Python
  FunctionDefinition: { kind: 'function', name: ['VariableName'] },
  ClassDefinition: { kind: 'class', name: ['VariableName'] },
};

/** Containers whose children are nested one level deeper in the outline. */
const containers = new Set([
  'ClassDeclaration',
  'ClassDefinition',
  'InterfaceDeclaration',
  'ClassExpression',
]);

/** How long one outline parse may take on the main thread, ms (a huge file is outlined in part). */
const PARSE_BUDGET_MS = 50;

/**
 * The symbols of the open file from its syntax tree (NAV-4): functions, classes and their members,
 * interfaces, types, top-level `const f = () => …`, Markdown headings, CSS rules, top-level JSON keys.
 * Returns [] for plain text or before the file's grammar has loaded.
 */
export function documentSymbols(state: EditorState): DocSymbol[] {
  const tree = ensureSyntaxTree(state, state.doc.length, PARSE_BUDGET_MS) ?? syntaxTree(state);
  const doc = state.doc;
  const text = (from: number, to: number) => doc.sliceString(from, Math.min(to, from + 200));
  const out: DocSymbol[] = [];
  const open: number[] = []; // end positions of the containers we are inside
  const push = (name: string, kind: SymbolKind, from: number, depth = open.length) => {
    const clean = name.replace(/\s+/g, ' ').trim();
    if (clean) out.push({ name: clean, kind, from, line: doc.lineAt(from).number, depth });
  };
  tree.iterate({
    enter: (ref) => {
      while (open.length > 0 && ref.from >= open[open.length - 1]!) open.pop();
      const type = ref.type.name;
      const node = ref.node;
      const decl = declarations[type];
      if (decl) {
        const nameNode = firstChild(node, decl.name);
        if (nameNode) push(text(nameNode.from, nameNode.to), decl.kind, ref.from);
        if (containers.has(type)) open.push(ref.to);
        return;
      }
      if (type === 'VariableDeclaration' && isTopLevel(node)) {
        // `const handler = () => …` and other top-level bindings people look for by name.
        const nameNode = node.getChild('VariableDefinition');
        if (!nameNode) return;
        const value = nameNode.nextSibling?.nextSibling;
        const fn = value && (value.name === 'ArrowFunction' || value.name === 'FunctionExpression');
        push(text(nameNode.from, nameNode.to), fn ? 'function' : 'variable', ref.from);
        return;
      }
      const heading = /^(?:ATXHeading|SetextHeading)(\d)$/.exec(type);
      if (heading) {
        const level = Number(heading[1]);
        const raw = text(ref.from, ref.to)
          .replace(/^#+\s*/, '')
          .replace(/\s*#*\s*$/, '')
          .split('\n')[0];
        push(raw ?? '', 'heading', ref.from, level - 1);
        return false;
      }
      if (type === 'RuleSet') {
        const block = node.getChild('Block');
        push(text(ref.from, block ? block.from : ref.to), 'rule', ref.from);
        return false;
      }
      if (type === 'Property' && node.parent?.name === 'Object' && node.parent.parent?.name === 'JsonText') {
        const key = node.getChild('PropertyName');
        if (key) push(text(key.from, key.to).replace(/^"|"$/g, ''), 'key', ref.from, 0);
        return false;
      }
      return undefined;
    },
  });
  return out;
}

function firstChild(node: SyntaxNode, names: readonly string[]): SyntaxNode | null {
  for (let c = node.firstChild; c; c = c.nextSibling) if (names.includes(c.name)) return c;
  return null;
}

/** A declaration in the file's top level (possibly behind `export`), not inside a function. */
function isTopLevel(node: SyntaxNode): boolean {
  const parent = node.parent;
  if (!parent) return false;
  if (parent.name === 'Script') return true;
  return parent.name === 'ExportDeclaration' && parent.parent?.name === 'Script';
}
