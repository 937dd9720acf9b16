/**
 * Awareness: the server stamps `user` on every state it relays; colours people are painted in.
 * Part of the wire contract: schema/protocol.ts re-exports it, and it imports only its siblings.
 */

import type { Role } from './access.ts';

export interface AwarenessUser {
  id: string;
  name: string;
  role: Role | 'agent';
  color: string;
  /** for the agent: the run it writes and who asked */
  runId?: string;
  askedBy?: string;
}

/** Deterministic colour for a user id, so every client paints a person the same. */
export function colorFor(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360} 70% 45%)`;
}

export const SPARK_COLOR = '#f59e0b';
