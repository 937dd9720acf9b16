/**
 * What the model is told (docs/design.md section 3, step 2): fixed instructions for the edit format the parser
 * expects, and the room's files rendered within a character budget. File text goes out verbatim (no line
 * numbers in it) because the model must copy old text exactly for the anchor matcher; line numbers live in
 * a short index above each file instead, which is what the `line=N` hints of search_replace come from.
 */
import type { EditFormat } from './edit-parser.ts';

/** apply_patch for Codex-family models (trained on it), SEARCH/REPLACE for everything else. */
export function formatForModel(model: string): EditFormat {
  const name = (model.split('/').at(-1) ?? model).toLowerCase();
  return name.includes('codex') || name.startsWith('gpt-5') ? 'apply_patch' : 'search_replace';
}

/**
 * Characters of context that fit a model window. Code averages nearer 3 than 4 characters per token
 * (indentation, punctuation), so 3.5 keeps a full context below the window instead of failing the call.
 */
export function contextCharBudget(
  maxOutputTokens: number,
  windowTokens = 128_000,
  charsPerToken = 3.5,
): number {
  const instructionsTokens = 1_500;
  return Math.max(0, Math.floor((windowTokens - maxOutputTokens - instructionsTokens) * charsPerToken));
}

const COMMON_RULES = `You are Spark, a fast coding agent working in a shared room where several people edit the same files.
Every edit you write becomes a suggestion that the people in the room watch being typed and then accept or reject.

Rules:
- Make the smallest edit that does what was asked. Touch only the lines that must change: no reformatting, no renaming, no unrelated fixes, no comments about the change.
- Edit only files shown to you, or create new files when asked. Never edit a file you were not shown.
- Copy old text exactly as it appears in the file, character for character, including indentation and blank lines. File text is shown without line numbers; never copy the line index into an edit.
- Keep each edit small and separate: one block per place that changes.
- Outside the edit blocks, write one short line saying what you changed. Nothing else: no restating the code, no plan.`;

const APPLY_PATCH_RULES = `Write every edit in the apply_patch format, exactly:
- The patch starts with "*** Begin Patch" and ends with "*** End Patch", each on its own line.
- "*** Update File: <path>" edits a file; "*** Add File: <path>" creates one (every line of it starts with "+"); "*** Delete File: <path>" removes one.
- Each change starts with "@@" on its own line, then lines that start with " " (unchanged context), "-" (removed) or "+" (added).
- Put one to three unchanged lines right above each change so its place is unique; context below is optional.

Example: fix the sign in add().
*** Begin Patch
*** Update File: src/math.ts
@@
 export function add(a: number, b: number): number {
-  return a - b;
+  return a + b;
 }
*** End Patch
Fixed the sign in add().`;

const SEARCH_REPLACE_RULES = `Write every edit as a SEARCH/REPLACE block, exactly:
- A line with the file path alone, then "<<<<<<< SEARCH line=N" where N is the line number where the old text starts (from the line index), then the old lines copied exactly, then "=======", then the new lines, then ">>>>>>> REPLACE".
- SEARCH holds only the lines that change, plus the fewest neighbouring lines needed to make it unique in the file.
- To create a file, give its path and an empty SEARCH section; the REPLACE section is the whole new file.
- Do not wrap blocks in code fences.

Example: fix the sign in add().
src/math.ts
<<<<<<< SEARCH line=12
  return a - b;
=======
  return a + b;
>>>>>>> REPLACE
Fixed the sign in add().`;

const ASK_RULES = `You are Spark, a coding assistant in a shared room where several people read the same files.
Someone asked a question about the code. Answer it; do not change any file.

Rules:
- Never write edit blocks, patches or SEARCH/REPLACE blocks: this answer cannot change code.
- Answer in Markdown: short paragraphs, lists where they help, code in fenced blocks with the language named.
- Be specific to the files and the selection shown; quote the lines you talk about.
- If the question asks for a change, explain what you would change; the person can ask for the edit next.`;

/**
 * Tutor mode (CLASS-4): the room is a class, and the person asking is learning. Added after the format
 * rules, so it narrows them; the server enforces the line limit whatever the model does (CLASS-3).
 */
export function buildTutorInstructions(maxChangedLines: number): string {
  return `Tutor mode is on: the people in this room are students learning to program.
- Teach, do not solve. Explain what is wrong and why, give a hint or the next small step, and ask a question that leads the student to the answer.
- Never write a whole solution, a whole function body or a whole file, even when asked to.
- Your edits in this run may change at most ${maxChangedLines} lines in all; edits past that are refused by the server. Prefer no edit at all: a short comment in the code or a hint in prose is usually better.
- When you show code in prose, show a fragment that illustrates the idea, not the answer to the exercise.
`;
}

/** The system instructions of a question that needs no edit (NAV-21). */
export function buildAskInstructions(): string {
  return `${ASK_RULES}\n`;
}

/** The system instructions for one edit format. */
export function buildInstructions(format: EditFormat): string {
  return `${COMMON_RULES}\n\n${format === 'apply_patch' ? APPLY_PATCH_RULES : SEARCH_REPLACE_RULES}\n`;
}

/** A file whose text is at hand. */
export interface ContextFile {
  path: string;
  text: string;
}

/**
 * A file read only if it can be shown (SAFE-156): `length` (an upper bound of the text's length, known
 * without reading it) tells whether it can fit, and `read` is called at most once.
 */
export interface LazyContextFile {
  path: string;
  length: number;
  read(): string;
}

export interface ContextInput {
  files: (ContextFile | LazyContextFile)[];
  /** the file the person is looking at: rendered first, and excerpted around the selection if too big */
  focusFile?: string;
  /** UTF-16 offsets into the focus file's text */
  selection?: { from: number; to: number };
  prompt: string;
  /** text the request came with (a review thread, CR-18), placed right before it; bounded by its maker */
  extra?: string;
  /** budget for the whole returned text (see contextCharBudget) */
  maxChars: number;
}

export interface BuiltContext {
  text: string;
  /**
   * Paths whose text was sent (whole, or an excerpt of the focus file). The orchestrator snapshots exactly
   * these and rejects hunks for any other existing file: the model never saw it.
   */
  included: string[];
  /** room files left out for lack of budget (named in the text so the model knows not to edit them) */
  omitted: string[];
}

/** Focus excerpts smaller than this are useless to the model; the file is omitted instead. */
const MIN_EXCERPT_CHARS = 400;

/**
 * Renders the request, the selection and as many whole files as fit in `maxChars`: the focus file first,
 * then the others in the given order (skipping any that do not fit and trying the next). The text can
 * exceed maxChars only when the prompt alone does.
 */
export function buildContext(input: ContextInput): BuiltContext {
  const files = input.files.map(toReadOnce);
  const focus = files.find((f) => f.path === input.focusFile);
  const others = files.filter((f) => f !== focus);
  const selectionOf = (withText: boolean) =>
    focus && input.selection ? renderSelection(focus, input.selection, withText) : '';
  const request = `${input.extra ? `${input.extra}\n` : ''}## Request\n${input.prompt}\n`;
  // Reserve room for naming every file as omitted, so the list at the end always fits.
  const omittedReserve = input.files.reduce((n, f) => n + f.path.length + 2, 200);
  let budget = input.maxChars - request.length - omittedReserve;
  // A selection too big to repeat is given by its line range only: its text is in the file anyway.
  const withText = selectionOf(true);
  const rangeOnly = selectionOf(false);
  const sel = withText.length <= budget / 4 ? withText : rangeOnly.length <= budget / 4 ? rangeOnly : '';
  budget -= sel.length;

  const blocks: string[] = [];
  const included: string[] = [];
  const omitted: string[] = [];
  if (focus) {
    let block = renderFile(focus, true);
    // The excerpt's line index is sized after the lines are chosen; shrink until the whole block fits.
    for (const share of [0.95, 0.85, 0.7]) {
      if (block.length <= budget) break;
      block = renderExcerpt(focus, input.selection?.from ?? 0, budget, share);
    }
    if (block !== '' && block.length <= budget) {
      blocks.push(block);
      included.push(focus.path);
      budget -= block.length;
    } else {
      omitted.push(focus.path);
    }
  }
  for (const file of others) {
    // A block holds the whole text and more: a file longer than the budget left is omitted unread (a room's
    // other files were all read and rendered here, at every turn, to learn that they did not fit).
    const block = file.length > budget ? null : renderFile(file, false);
    if (block !== null && block.length <= budget) {
      blocks.push(block);
      included.push(file.path);
      budget -= block.length;
    } else {
      omitted.push(file.path);
    }
  }

  const parts = [`# Files in this room (${included.length} shown)\n`, ...blocks];
  if (omitted.length > 0)
    parts.push(`Not shown (too large for the context; do not edit): ${omitted.join(', ')}\n`);
  if (sel !== '') parts.push(sel);
  parts.push(request);
  return { text: parts.join('\n'), included, omitted };
}

/** A file whose text is read on first use, and once (SAFE-156). */
class ReadOnce implements ContextFile {
  readonly path: string;
  readonly length: number;
  private readonly source: LazyContextFile;
  private cached: string | null = null;

  constructor(source: LazyContextFile) {
    this.path = source.path;
    this.length = source.length;
    this.source = source;
  }

  get text(): string {
    this.cached ??= this.source.read();
    return this.cached;
  }
}

function toReadOnce(file: ContextFile | LazyContextFile): ContextFile & { length: number } {
  return 'read' in file ? new ReadOnce(file) : { ...file, length: file.text.length };
}

/** A fence longer than any backtick run in the text, so file content can never close it. */
function fenceFor(text: string): string {
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return '`'.repeat(Math.max(3, longest + 1));
}

/** Every `step`-th line's first characters, so the model can tell line numbers without numbered text. */
function lineIndex(lines: string[], firstLine: number): string {
  if (lines.length <= 60) return '';
  const step = Math.max(50, Math.ceil(lines.length / 40 / 10) * 10);
  const entries: string[] = [];
  const lastLine = firstLine + lines.length - 1;
  for (let n = Math.ceil(firstLine / step) * step; n <= lastLine; n += step) {
    const line = (lines[n - firstLine] ?? '').trim();
    entries.push(`  ${n}: ${line.length > 60 ? `${line.slice(0, 57)}...` : line}`);
  }
  return entries.length > 0 ? `Line index (line: start of line):\n${entries.join('\n')}\n` : '';
}

/** The file's lines; a final newline ends the last line rather than starting an empty one. */
function fileLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  return lines;
}

function renderFile(file: ContextFile, isFocus: boolean): string {
  const lines = fileLines(file.text);
  const n = lines.length;
  const fence = fenceFor(file.text);
  const body = file.text.endsWith('\n') || file.text === '' ? file.text : `${file.text}\n`;
  const label = `${n} line${n === 1 ? '' : 's'}${isFocus ? ', the file the person is looking at' : ''}`;
  return `## File: ${file.path} (${label})\n${lineIndex(lines, 1)}${fence}\n${body}${fence}\n`;
}

/** Whole lines of a too-large focus file around `offset`, within `budget` characters. */
function renderExcerpt(file: ContextFile, offset: number, budget: number, share: number): string {
  const lines = fileLines(file.text);
  const fence = fenceFor(file.text);
  const headerRoom = file.path.length + 200 + 2 * fence.length;
  // The rest of the budget (1 - share) is left for the line index, about one entry per 50 lines.
  const room = Math.floor((budget - headerRoom) * share);
  if (room < MIN_EXCERPT_CHARS) return '';
  const at = Math.max(0, Math.min(offset, file.text.length));
  const center = Math.min(file.text.slice(0, at).split('\n').length - 1, Math.max(0, lines.length - 1));
  let first = center;
  let last = center;
  let size = (lines[center] ?? '').length + 1;
  // Grow both ways in turn so the selection sits in the middle of what the model sees.
  for (let grew = true; grew; ) {
    grew = false;
    const below = (lines[last + 1] ?? '').length + 1;
    if (last + 1 < lines.length && size + below <= room) {
      last++;
      size += below;
      grew = true;
    }
    const above = (lines[first - 1] ?? '').length + 1;
    if (first > 0 && size + above <= room) {
      first--;
      size += above;
      grew = true;
    }
  }
  const shown = lines.slice(first, last + 1);
  const total = lines.length;
  const header = `## File: ${file.path} (lines ${first + 1}-${last + 1} of ${total}, the file the person is looking at; only this part is shown)\n`;
  return `${header}${lineIndex(shown, first + 1)}${fence}\n${shown.join('\n')}\n${fence}\n`;
}

function renderSelection(
  file: ContextFile,
  selection: { from: number; to: number },
  withText: boolean,
): string {
  const from = Math.max(0, Math.min(selection.from, selection.to, file.text.length));
  const to = Math.min(file.text.length, Math.max(selection.from, selection.to));
  const lineAt = (offset: number) => file.text.slice(0, offset).split('\n').length;
  if (from === to) return `## Cursor\nThe person's cursor is in ${file.path} at line ${lineAt(from)}.\n`;
  const range = `lines ${lineAt(from)}-${lineAt(to)}`;
  if (!withText)
    return `## Selection\nThe person selected ${range} of ${file.path}; the request is about them.\n`;
  const text = file.text.slice(from, to);
  const fence = fenceFor(text);
  return `## Selection\nThe person selected this in ${file.path} (${range}); the request is about it:\n${fence}\n${text}${text.endsWith('\n') ? '' : '\n'}${fence}\n`;
}
