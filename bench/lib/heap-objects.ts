import { readFile } from 'node:fs/promises';

/**
 * The bytes of a heap snapshot's objects that are data, not code: the sum of every node's self size except
 * those V8 types as `code` (compiled code, bytecode arrays, feedback vectors and metadata, deoptimization
 * data, relocation info, scope infos). The JIT grows and flushes those as functions get hot or go cold,
 * in every process, whatever the rooms hold, so a difference of live heap between two moments charges some
 * of it to whatever was created between them (PERF-91).
 */
export async function heapDataBytes(path: string): Promise<number> {
  const s = JSON.parse(await readFile(path, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
  };
  const fields = s.snapshot.meta.node_fields;
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iSize = fields.indexOf('self_size');
  const code = s.snapshot.meta.node_types[0].indexOf('code');
  let bytes = 0;
  for (let i = 0; i < s.nodes.length; i += width)
    if (s.nodes[i + iType] !== code) bytes += s.nodes[i + iSize]!;
  return bytes;
}
