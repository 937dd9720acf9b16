import { colorFor, SPARK_COLOR } from '../../../../schema/protocol.ts';
import type { BlameLook } from '../editor/blame.ts';
import type { LineBlame } from '../editor/blame-lines.ts';

/** How a blame verdict reads: the person's name, or Spark with who asked and who accepted. */
export function blameLook(b: LineBlame, nameOf: (userId: string) => string): BlameLook {
  if (b.kind === 'mixed')
    return {
      label: 'mixed',
      title: 'Several authors (people and/or Spark) wrote this line',
      color: '#94a3b8',
    };
  if (b.kind === 'ai') {
    const asked = b.requestedBy ? nameOf(b.requestedBy) : 'someone';
    const accepted = b.acceptedBy ? nameOf(b.acceptedBy) : 'someone';
    return {
      label: `✦ Spark · ${asked}`,
      title: `Written by Spark${b.runId ? ` (run ${b.runId})` : ''}, asked by ${asked}, accepted by ${accepted}`,
      color: SPARK_COLOR,
    };
  }
  const name = b.userId ? nameOf(b.userId) : 'someone';
  const color = b.userId ? colorFor(b.userId) : '#94a3b8';
  if (b.importId) {
    const when = b.importedAt ? new Date(b.importedAt).toLocaleString() : 'earlier';
    return { label: `⤒ ${name}`, title: `Imported by ${name} on ${when} (not typed in the room)`, color };
  }
  return { label: name, title: `Written by ${name}`, color };
}
