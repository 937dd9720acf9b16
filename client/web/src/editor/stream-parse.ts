import type { Language } from '@codemirror/language';
import { type Input, type Tree, TreeFragment } from '@lezer/common';
import type { TextLog } from '../../../sdk/text-log.ts';

/**
 * PERF-43: the syntax tree of a text that only grows at its end (a proposal Spark is streaming), parsed
 * incrementally: each `parseTo` reuses what the last one parsed of the text before its end. WEB-115: every
 * frame's tree colours the text as a parse of the whole text would, so the card keeps its colours when the
 * stream ends and it is drawn whole.
 *
 * This parse is most of what the watcher page allocates while Spark streams (PERF-117's heap profile: 60%),
 * because an LR parse reuses only tree nodes, not the nodes inside a flat buffer (Lezer's default holds 1,024
 * entries, ~50 statements), which it parses again each frame. Smaller buffers (`bufferLength: 128`) parse a
 * frame 2.5-3x faster but are not used: with them a class name's colour can differ from the whole parse's
 * (@lezer/common's `TreeCursor.matchContext`, for a node at the top of a buffer reached from a tree sibling,
 * checks the context from that sibling, so a highlight rule such as `ClassDeclaration/VariableDefinition`
 * misses); WEB-115's test shows it.
 */
export class StreamParse {
  private tree: Tree | null = null;
  /** what the next parse may reuse: the last tree, for the text before `parsedTo` */
  private fragments: readonly TreeFragment[] = [];
  private parsedTo = 0;

  constructor(private readonly lang: Language) {}

  /**
   * The tree of `text` up to `end`; `text` extends the text of the last call (the caller's promise). An
   * `Input` is read as it is (its length `end`): PERF-144's `LogInput` reads a streaming proposal's chunks.
   */
  parseTo(text: string | Input, end: number): Tree {
    const fragments =
      this.tree === null
        ? []
        : TreeFragment.applyChanges(this.fragments, [
            { fromA: this.parsedTo, toA: this.parsedTo, fromB: this.parsedTo, toB: end },
          ]);
    this.tree = this.lang.parser.parse(typeof text === 'string' ? text.slice(0, end) : text, fragments);
    this.fragments = TreeFragment.addTree(this.tree);
    this.parsedTo = end;
    return this.tree;
  }
}

/**
 * PERF-144: a Lezer `Input` over the first `length` characters of a `TextLog`, read a chunk at a time, so
 * a parse reads the text without one string of all of it (a streaming proposal's whole string is a V8 cons
 * string, copied whole by its first read). Chunks are cut at `length`, as a string input's text would end.
 */
export class LogInput implements Input {
  readonly lineChunks = false;

  constructor(
    private readonly log: TextLog,
    readonly length: number,
  ) {}

  chunk(from: number): string {
    const chunk = this.log.chunkFrom(from);
    return from + chunk.length > this.length ? chunk.slice(0, Math.max(0, this.length - from)) : chunk;
  }

  read(from: number, to: number): string {
    return this.log.slice(from, Math.min(to, this.length));
  }
}
