/**
 * PERF-133: a Yjs clientID as a number V8 keeps inline (a small integer) rather than as a heap number of
 * 16 B. Yjs picks clientIDs as uint32s, and half of them are above 2^31, past V8's small integers; a uint32
 * becomes its int32 (`| 0`: those above 2^31 shift below zero, where no clientID is, since the wire's
 * varuints are never negative), so keys and clientIDs are one to one. A bitwise result is a small integer
 * where arithmetic (`- 2 ** 32`) gave a heap number again. Any other number (a larger one from the wire) is
 * its own key.
 */
export function clientIdKey(clientId: number): number {
  return clientId >>> 0 === clientId ? clientId | 0 : clientId;
}

/** The clientID `clientIdKey` made `key` from. */
export function clientIdOfKey(key: number): number {
  return (key | 0) === key ? key >>> 0 : key;
}
