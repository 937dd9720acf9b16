import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RoomEndHooks } from '../../server/rooms/room-end-hooks.ts';

// Issue 10, house item 4: the agent is wired to rooms by hooks, not by a `let agent` forward reference in
// start-server.ts that the room service and the cluster called through `agent?.` (a null until it was built).

describe('how a room ends reaches the agent through hooks (REVIEW-21)', () => {
  it('REVIEW-21: a deletion awaits each hook in order before it goes on; a loss calls them at once', async () => {
    const hooks = new RoomEndHooks();
    const seen: string[] = [];
    let release: () => void = () => undefined;
    hooks.onDeleted(async (id) => {
      seen.push(`stop ${id}`);
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      seen.push(`stopped ${id}`);
    });
    hooks.onDeleted(async (id) => {
      seen.push(`second ${id}`);
    });
    hooks.onLost((id, reason) => seen.push(`abandon ${id}: ${reason}`));
    const deleted = hooks.deleted('r1');
    await Promise.resolve();
    expect(seen).toEqual(['stop r1']);
    release();
    await deleted;
    expect(seen).toEqual(['stop r1', 'stopped r1', 'second r1']);
    hooks.lost('r2', 'lease expired');
    expect(seen.at(-1)).toBe('abandon r2: lease expired');
  });

  it('REVIEW-21: start-server.ts has no forward reference to the agent', () => {
    const source = readFileSync(join(import.meta.dirname, '../../server/start-server.ts'), 'utf8');
    expect(source).not.toMatch(/\blet agent\b/);
    expect(source).not.toMatch(/\bagent\?\./);
  });
});
