/**
 * Roles, the permission table and the room policy it reads; token claims; the Spark connection check.
 * Part of the wire contract: schema/protocol.ts re-exports it, and it imports only its siblings.
 */

export const roles = ['owner', 'editor', 'viewer'] as const;
export type Role = (typeof roles)[number];

/*
 * Who may do what: the one permission table, read by the server's checks and the web client's buttons.
 * Some permissions are fixed per role; the others come from the room policy, which the owner sets. The
 * owner always holds every permission, so a room can never lock itself out.
 */

export const permissions = [
  'write',
  'prompt',
  'accept',
  'interrupt',
  'stop',
  'manage',
  'comment',
  'checkSpark',
] as const;
export type Permission = (typeof permissions)[number];

export interface RoomPolicy {
  /** Roles allowed to accept, reject and revert suggestions. (Restoring a checkpoint needs `write`.) */
  accept: Role[];
  /** Roles allowed to redirect (steer) anyone's run; only roles that may prompt can. */
  interrupt: Role[];
  /** Roles allowed to stop anyone's run (stopping never changes code). */
  stop: Role[];
  /** Roles allowed to start, answer, resolve and reopen threads on code (CR-2). */
  comment: Role[];
}

/** Each permission: fixed roles, or a policy field (optionally also requiring another permission). */
export const permissionTable: Record<
  Permission,
  { roles: readonly Role[] } | { policy: keyof RoomPolicy; requires?: Permission }
> = {
  manage: { roles: ['owner'] },
  // Testing the model connection costs a model call and shows the server's model setup (OPS-10).
  checkSpark: { roles: ['owner'] },
  write: { roles: ['owner', 'editor'] },
  prompt: { roles: ['owner', 'editor'] },
  accept: { policy: 'accept' },
  // Redirecting is asking Spark for something else: it needs the right to prompt too.
  interrupt: { policy: 'interrupt', requires: 'prompt' },
  stop: { policy: 'stop' },
  comment: { policy: 'comment' },
};

export const defaultPolicy: RoomPolicy = {
  accept: ['owner', 'editor'],
  interrupt: ['owner', 'editor'],
  // Anyone in the room can stop Spark by default (viewers too): the owner can narrow it (a lecture).
  stop: ['owner', 'editor', 'viewer'],
  // A review is a conversation: viewers may comment by default (CR-2); the owner can narrow it.
  comment: ['owner', 'editor', 'viewer'],
};

/** A stored or sent policy with every field present (rooms created before `stop` existed get the default). */
export function completePolicy(policy: Partial<RoomPolicy>): RoomPolicy {
  return {
    accept: policy.accept ?? defaultPolicy.accept,
    interrupt: policy.interrupt ?? defaultPolicy.interrupt,
    stop: policy.stop ?? defaultPolicy.stop,
    comment: policy.comment ?? defaultPolicy.comment,
  };
}

/** May a person with `role` do `permission` in a room with `policy`? */
export function can(role: Role, permission: Permission, policy: RoomPolicy): boolean {
  if (role === 'owner') return true;
  const rule = permissionTable[permission];
  if ('roles' in rule) return rule.roles.includes(role);
  const granted = (policy[rule.policy] ?? defaultPolicy[rule.policy]).includes(role);
  return granted && (rule.requires === undefined || can(role, rule.requires, policy));
}

/** One step of the Spark connection check (OPS-10), in the order they are made. */
export const sparkCheckSteps = ['configured', 'reachable', 'key', 'api', 'model', 'streaming'] as const;
export type SparkCheckStep = (typeof sparkCheckSteps)[number];

/** What the connection check found: each step in plain words, and the speed when a reply streamed. */
export interface SparkCheckReport {
  /** every step passed: runs will reach the model */
  ok: boolean;
  api: 'responses' | 'responses-ws' | 'chat';
  baseURL: string | null;
  model: string;
  /** `unknown`: the server gave no way to tell (no model list); `skipped`: an earlier step failed */
  steps: { step: SparkCheckStep; status: 'ok' | 'failed' | 'unknown' | 'skipped'; detail: string }[];
  /** from sending the request to the first token, ms */
  ttftMs: number | null;
  /** output tokens per second from the first token to the end */
  tokensPerSecond: number | null;
  outputTokens: number | null;
  /** what to change when a step failed, one sentence */
  advice: string | null;
}

/** Payload of a personal token (signed by the server; opaque to clients except for display). */
export interface TokenClaims {
  /** user id */
  sub: string;
  room: string;
  /**
   * the role at join time, for display until the room is opened: the server always uses the member's
   * current role (an owner may have changed it since), and RoomInfo.you says what it is now
   */
  role: Role;
  name: string;
  /** expiry, seconds since the epoch */
  exp: number;
}

export interface PublicUser {
  id: string;
  name: string;
  role: Role;
}
