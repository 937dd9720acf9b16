import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const fixture = 'test/ops/fixtures/closure-maps.mjs';

const run = (loader: string) =>
  JSON.parse(
    execFileSync(process.execPath, ['--allow-natives-syntax', '--import', loader, fixture], {
      cwd: repoRoot,
      encoding: 'utf8',
    }),
  ) as { sameAsPlain: boolean; shared: boolean; name: string };

describe('PERF-70: the server runs its TypeScript without redefining function names', () => {
  it('PERF-70: a closure made by a .ts module under the server loader has the plain function map', () => {
    const ours = run('./scripts/ts-register.mjs');
    // The engine names the arrow from its binding, as in plain JavaScript: nothing is lost.
    expect(ours).toEqual({ sameAsPlain: true, shared: true, name: 'handler' });
  });

  it('PERF-70: under tsx (keepNames) the same closure gets a map of its own, which is what the loader avoids', () => {
    // The contrast shows the check can fail: tsx redefines `name` on every closure it makes.
    expect(run('tsx').sameAsPlain).toBe(false);
  });
});
