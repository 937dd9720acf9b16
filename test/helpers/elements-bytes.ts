import { getHeapSnapshot } from 'node:v8';

/** Holds what is measured, found in the heap snapshot by this class's name. */
class ElementsProbe {
  constructor(readonly held: unknown[]) {}
}

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/**
 * The one live ElementsProbe in a heap snapshot of this process, and the node each of its `held` array's
 * edges of `edgeType` named `names` leads to (null: no such edge), with each node's self size and id.
 * Takes a second or two: a snapshot of the whole test process.
 */
async function probeEdges(
  probe: ElementsProbe,
  edgeType: 'internal' | 'element',
  names: string[],
): Promise<({ id: number; size: number } | null)[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk as Buffer);
  const s = JSON.parse(Buffer.concat(chunks).toString('utf8')) as HeapSnapshot;
  const nf = s.snapshot.meta.node_fields;
  const ef = s.snapshot.meta.edge_fields;
  const [nw, ew] = [nf.length, ef.length];
  const [iName, iSize, iEdges, iId] = ['name', 'self_size', 'edge_count', 'id'].map((f) => nf.indexOf(f)) as [
    number,
    number,
    number,
    number,
  ];
  const [eName, eTo, eType] = ['name_or_index', 'to_node', 'type'].map((f) => ef.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const types = s.snapshot.meta.edge_types[0];
  const firstEdge: number[] = [0];
  for (let n = 0; n * nw < s.nodes.length; n++) firstEdge.push(firstEdge[n]! + s.nodes[n * nw + iEdges]!);
  /** the node `from` points at through its edge named `name` of type `type` (elements are named by index) */
  const follow = (from: number, type: string, name: string): number | null => {
    const t = types.indexOf(type);
    for (let e = firstEdge[from]!; e < firstEdge[from + 1]!; e++) {
      if (s.edges[e * ew + eType] !== t) continue;
      const n = s.edges[e * ew + eName]!;
      if ((type === 'element' ? String(n) : s.strings[n]) === name) return s.edges[e * ew + eTo]! / nw;
    }
    return null;
  };
  const found: ({ id: number; size: number } | null)[][] = [];
  for (let n = 0; n * nw < s.nodes.length; n++) {
    if (s.strings[s.nodes[n * nw + iName]!] !== 'ElementsProbe') continue;
    const held = follow(n, 'property', 'held');
    if (held === null) continue;
    found.push(
      names.map((name) => {
        const to = follow(held, edgeType, name);
        return to === null ? null : { id: s.nodes[to * nw + iId]!, size: s.nodes[to * nw + iSize]! };
      }),
    );
  }
  // (read after the snapshot, so the probe stays live until it is taken)
  if (found.length !== 1 || probe.held === null)
    throw new Error(`expected one probe in the heap snapshot, found ${found.length}`);
  return found[0]!;
}

/**
 * The bytes V8 keeps for `array`'s elements (its backing store, room for more included), read from a heap
 * snapshot of this process: JavaScript sees an array's length, not the capacity a push or a spread left it
 * (PERF-154).
 */
export async function elementsBytes(array: unknown[]): Promise<number> {
  const [elements] = await probeEdges(new ElementsProbe(array), 'internal', ['elements']);
  if (!elements) throw new Error('the probed array has no elements store');
  return elements.size;
}

/**
 * Whether `a` and `b` are one string in the heap, not two copies of the same text: JavaScript's `===`
 * compares the text (PERF-161).
 */
export async function sameHeapString(a: string, b: string): Promise<boolean> {
  if (a !== b) return false;
  const [x, y] = await probeEdges(new ElementsProbe([a, b]), 'element', ['0', '1']);
  if (!x || !y) throw new Error('the probed strings are not in the snapshot');
  return x.id === y.id;
}
