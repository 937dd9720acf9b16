/*
 * The events the streaming edit parser emits (edit-parser.ts) and the grammars write (line-grammar.ts).
 * Their own module, so the grammars and the parser that drives them import these types without importing
 * each other.
 */

export type EditFormat = 'apply_patch' | 'search_replace';

export type EditEvent =
  /** model prose outside edits */
  | { type: 'text'; text: string }
  | {
      type: 'hunk-start';
      /** 0-based, unique within one parser */
      hunk: number;
      file: string;
      /** unchanged lines right above oldText (apply_patch only; each ends with \n) */
      contextBefore: string;
      /** the text the replacement replaces ('' for a pure insertion or a new file) */
      oldText: string;
      contextAfter?: never;
      /** 1-based line of oldText the model gave (`<<<<<<< SEARCH line=42`), else null */
      lineHint: number | null;
      /** Add File, or an empty SEARCH: the hunk is the whole new file */
      newFile: boolean;
      /** Delete File: oldText is '' and stands for the whole file */
      deleteFile: boolean;
      /**
       * `*** Move to: PATH` in an Update File: this hunk is the rename of `file` to it (no text of its
       * own; the section's hunks are edits of `file`, AGENT-17); else absent
       */
      moveTo?: string;
      /**
       * apply_patch `@@ text` lines above the hunk's section, outermost first (`@@ class Foo`, `@@ def bar`):
       * the hunk is the first match after them (AGENT-14); [] elsewhere
       */
      headers: string[];
      /** a section of `+` lines only: appended at the end of the file, as Codex does (AGENT-15) */
      append: boolean;
    }
  /** replacement text for oldText, as it streams */
  | { type: 'hunk-delta'; hunk: number; text: string }
  /** complete=false when the stream ended (or a block broke off) mid-hunk */
  | { type: 'hunk-end'; hunk: number; complete: boolean }
  | { type: 'parse-error'; message: string };

export type HunkStart = Extract<EditEvent, { type: 'hunk-start' }>;
