import { Session } from 'node:inspector/promises';

/**
 * How many live objects have `prototype` in their prototype chain (instances of a class and its subclasses;
 * a subclass's own prototype object is not counted), counted by V8
 * itself through the inspector's Runtime.queryObjects, which collects garbage first. Unlike heapUsed,
 * which moves by hundreds of KB as V8 compiles and discards code, this is exact: a leaked Room or
 * Connection shows up as 1, not as noise.
 */
export async function countLive(prototype: object): Promise<number> {
  const session = new Session();
  session.connect();
  const key = '__sparkroomCountLive';
  const global = globalThis as Record<string, unknown>;
  global[key] = prototype;
  try {
    const { result } = await session.post('Runtime.evaluate', { expression: `globalThis.${key}` });
    if (!result.objectId) throw new Error('the prototype has no remote object id');
    const { objects } = await session.post('Runtime.queryObjects', { prototypeObjectId: result.objectId });
    if (!objects.objectId) throw new Error('queryObjects returned no array');
    const { result: length } = await session.post('Runtime.callFunctionOn', {
      objectId: objects.objectId,
      // queryObjects also returns a subclass's prototype object (RoomYDoc.prototype has Y.Doc.prototype as its
      // prototype), which lives as long as the module: only instances count.
      functionDeclaration:
        "function () { return this.filter((o) => !(Object.hasOwn(o, 'constructor') && o.constructor.prototype === o)).length; }",
      returnByValue: true,
    });
    return length.value as number;
  } finally {
    delete global[key];
    session.disconnect();
  }
}

/** Live instance counts of several classes, by name, for one assertion and one report line. */
export async function liveCounts(
  classes: Record<string, { prototype: object }>,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, cls] of Object.entries(classes)) out[name] = await countLive(cls.prototype);
  return out;
}

/**
 * Resolves once no instance of any of `classes` is live, re-counting every 100 ms; rejects with the
 * counts after `timeoutMs`. Objects may outlive their socket briefly (a closing socket keeps its
 * handlers until the close handshake ends or its 2 s grace timer cuts it), never for good.
 */
export async function whenNoneLive(
  classes: Record<string, { prototype: object }>,
  // Closing sockets stay reachable through their 2 s close grace, and CI runs two suites at once on two
  // cores; a leak never reaches zero, so a generous bound still catches one.
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const counts = await liveCounts(classes);
    if (Object.values(counts).every((n) => n === 0)) return;
    if (performance.now() > deadline) {
      throw new Error(`still live after ${timeoutMs} ms: ${JSON.stringify(counts)}`);
    }
    await new Promise<void>((resolve) => setTimeout(resolve, 100));
  }
}
