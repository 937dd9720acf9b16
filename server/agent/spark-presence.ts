import { SPARK_COLOR } from '../../schema/protocol.ts';
import type { RunChannel } from '../suggestions/proposal-port.ts';

/**
 * How often the agent's cursor is published again while it stays on one hunk, ms: only so that it does not
 * expire (awareness drops a state not renewed for 30 s). Its cursor names the suggestion, and watchers put
 * it at that suggestion's end, which every frame moves already (AGENT-26).
 */
const PRESENCE_RENEW_MS = 15_000;

/** A run's cursor in the review doc's awareness: where Spark types, under the name of who asked. */
export class SparkPresence {
  private readonly clientId = (Math.random() * 0x7fffffff) | 0;
  private publishedAt = 0;
  /** the suggestion the published cursor names */
  private publishedOn: string | null = null;

  constructor(
    private readonly channel: RunChannel,
    private readonly run: { id: string; askedBy: { id: string; name: string } },
    private readonly now: () => number,
  ) {}

  /** After a frame: the cursor moves to the suggestion being written, when it changed or is due renewal. */
  publish(writing: { id: string; file: string } | null): void {
    if (writing === null) return;
    // AGENT-26: published when Spark moves to another hunk, after the frame that wrote the hunk (so watchers
    // have the suggestion the cursor names), not after every frame: each publish is an awareness frame to
    // every watcher, ten a second per run while the text itself already showed where Spark types.
    const now = this.now();
    if (writing.id === this.publishedOn && now - this.publishedAt < PRESENCE_RENEW_MS) return;
    this.publishedAt = now;
    this.publishedOn = writing.id;
    const { id, askedBy } = this.run;
    this.channel.setPresence(this.clientId, {
      user: {
        id: `spark:${id}`,
        name: `Spark, asked by ${askedBy.name}`,
        role: 'agent',
        color: SPARK_COLOR,
        runId: id,
        askedBy: askedBy.id,
      },
      cursor: {
        file: writing.file,
        suggestionId: writing.id,
        index: this.channel.proposedLength(writing.id),
      },
    });
  }

  /** The run ended: its cursor leaves. */
  leave(): void {
    this.channel.setPresence(this.clientId, null);
  }
}
