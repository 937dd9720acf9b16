import { getHeapSnapshot } from 'node:v8';

/** Holds the array being measured, found in the heap snapshot by this class's name. */
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
 * The bytes V8 keeps for `array`'s elements (its backing store, room for more included), read from a heap
 * snapshot of this process: JavaScript sees an array's length, not the capacity a push or a spread left it
 * (PERF-154). Takes a second or two: a snapshot of the whole test process.
 */
export async function elementsBytes(array: unknown[]): Promise<number> {
  const probe = new ElementsProbe(array);
  const chunks: Buffer[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk as Buffer);
  const s = JSON.parse(Buffer.concat(chunks).toString('utf8')) as HeapSnapshot;
  const nf = s.snapshot.meta.node_fields;
  const ef = s.snapshot.meta.edge_fields;
  const [nw, ew] = [nf.length, ef.length];
  const [iName, iSize, iEdges] = ['name', 'self_size', 'edge_count'].map((f) => nf.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const [eName, eTo, eType] = ['name_or_index', 'to_node', 'type'].map((f) => ef.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const propertyType = s.snapshot.meta.edge_types[0].indexOf('property');
  const internalType = s.snapshot.meta.edge_types[0].indexOf('internal');
  const firstEdge: number[] = [0];
  for (let n = 0; n * nw < s.nodes.length; n++) firstEdge.push(firstEdge[n]! + s.nodes[n * nw + iEdges]!);
  /** the node `from` points at through its edge named `name` of type `type` */
  const follow = (from: number, type: number, name: string): number | null => {
    for (let e = firstEdge[from]!; e < firstEdge[from + 1]!; e++) {
      if (s.edges[e * ew + eType] === type && s.strings[s.edges[e * ew + eName]!] === name) {
        return s.edges[e * ew + eTo]! / nw;
      }
    }
    return null;
  };
  const found: number[] = [];
  for (let n = 0; n * nw < s.nodes.length; n++) {
    if (s.strings[s.nodes[n * nw + iName]!] !== 'ElementsProbe') continue;
    const held = follow(n, propertyType, 'held');
    const elements = held === null ? null : follow(held, internalType, 'elements');
    if (elements !== null) found.push(s.nodes[elements * nw + iSize]!);
  }
  // (read after the snapshot, so the probe stays live until it is taken)
  if (found.length !== 1 || probe.held !== array)
    throw new Error(`expected one probe in the heap snapshot, found ${found.length}`);
  return found[0]!;
}
