import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

describe('PERF-61: ws unmasks with bufferutil', () => {
  it("PERF-61: bufferutil loads its native build from the package's prebuilds, and ws takes it", () => {
    // bufferutil falls back to JavaScript when no native build loads; ws then runs the slow loop as if it
    // were absent (12-30 ms per 4 MB frame here against 0.2-0.6 ms).
    const bufferutil = require('bufferutil') as { mask: () => void; unmask: () => void };
    expect(String(bufferutil.unmask)).toContain('[native code]');
    expect(process.env.WS_NO_BUFFER_UTIL).toBeUndefined();
    const wsUtil = require(join(dirname(require.resolve('ws')), 'lib', 'buffer-util.js')) as {
      unmask: (b: Buffer, m: Buffer) => void;
    };
    // ws 8 hands frames of 32 bytes and more to bufferutil when it loaded (lib/buffer-util.js).
    expect(String(wsUtil.unmask)).toContain('bufferUtil.unmask');
    const data = Buffer.alloc(1024, 0x5a);
    wsUtil.unmask(data, Buffer.from([1, 2, 3, 4]));
    expect(data[0]).toBe(0x5a ^ 1);
    expect(data[1023]).toBe(0x5a ^ 4);
  });
});
