/**
 * What reading a model's stream costs Spark's server (issue 17, PERF-76): the fake model server streams a
 * reply at TPS tokens/s from a child process, and this process reads it through the provider as a run does
 * (Responses over SSE), once through the SDK's default `fetch` (undici, a WHATWG body) and once through
 * `nodeHttpFetch`, and once through `nodeHttpFetch` paced by a 16 ms frame clock as a run reads it (PERF-77),
 * taking turns round by round so a shared machine's load falls on all alike. Prints this process's CPU per
 * 1,000 tokens and the reads (batches of events) per second for each.
 *
 *   npx tsx bench/model-stream-read.ts [TPS=5000] [SECONDS=2] [ROUNDS=4] [--tls]
 *
 * `--tls`: the fake speaks https with a self-signed certificate, as a hosted model API does (PERF-106; this
 * process does not check it, which Node warns about once).
 */
import { fork } from 'node:child_process';
import { loadavg as osLoad } from 'node:os';
import type { ModelProvider, ModelRequest, ReadPacer } from '../server/agent/model-provider.ts';
import { createProvider } from '../server/agent/providers/create-provider.ts';
import type { AgentConfig } from '../server/config.ts';
import { FrameClock } from '../server/suggestions/frame-clock.ts';
import { startFakeModelServer, tokenize } from '../test/helpers/fake-model-server.ts';
import { selfSignedCert } from '../test/helpers/self-signed-cert.ts';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const TPS = Number(args[0] ?? 5000);
const SECONDS = Number(args[1] ?? 2);
const ROUNDS = Number(args[2] ?? 4);
const TLS = process.argv.includes('--tls');

if (process.argv.includes('--serve')) {
  const fake = await startFakeModelServer({ host: '127.0.0.1', ...(TLS ? { tls: selfSignedCert() } : {}) });
  const text = Array.from(
    { length: Math.ceil((TPS * SECONDS) / 12) },
    (_, i) => `+  const s${i} = ${i};\n`,
  ).join('');
  fake.setHandler(() => ({ text, tokensPerSecond: TPS }));
  process.send?.({ url: fake.url, tokens: tokenize(text).length });
} else {
  const child = fork(new URL(import.meta.url).pathname, [...process.argv.slice(2), '--serve'], {
    execArgv: process.execArgv,
  });
  if (TLS) process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  const { url, tokens } = await new Promise<{ url: string; tokens: number }>((resolve) =>
    child.once('message', (m) => resolve(m as { url: string; tokens: number })),
  );
  const config: AgentConfig = {
    api: 'responses',
    baseURL: url,
    apiKey: null,
    model: 'bench',
    maxOutputTokens: 1_000_000,
    idleTimeoutMs: 60_000,
    maxRunOutputBytes: 8 * 1024 * 1024,
    maxRunTokens: 1_000_000,
    maxRunMs: 600_000,
    maxRunHunks: 200,
  };
  const request: ModelRequest = {
    model: 'bench',
    instructions: 'bench',
    messages: [{ role: 'user', content: 'go' }],
    maxOutputTokens: 1_000_000,
    sessionKey: 'bench',
  };
  // PERF-77: the way a run reads, its socket read once per tick of the server's 16 ms frame clock.
  const clock = new FrameClock(16, (err) => console.error(err));
  const ways: Record<string, { provider: ModelProvider; pacer?: ReadPacer }> = {
    undici: { provider: createProvider(config, { fetch: globalThis.fetch })! },
    'node:http': { provider: createProvider(config)! },
    paced: { provider: createProvider(config)!, pacer: clock },
  };
  const totals = new Map<string, { cpuMs: number; tokens: number; reads: number; seconds: number }>();
  console.log(
    `model stream read${TLS ? ' over TLS' : ''}: ${TPS} tokens/s, ${tokens} tokens a round, ${ROUNDS} rounds each, load ${loadavg()}`,
  );
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [name, { provider, pacer }] of Object.entries(ways)) {
      const start = process.cpuUsage();
      const t0 = performance.now();
      let reads = 0;
      let got = 0;
      for await (const e of provider.stream(request, new AbortController().signal, pacer)) {
        if (e.type === 'text-delta') {
          reads++;
          got += e.tokens ?? 1;
        }
      }
      const used = process.cpuUsage(start);
      const seconds = (performance.now() - t0) / 1000;
      const cpuMs = (used.user + used.system) / 1000;
      // Round 0 warms both ways up and is not counted.
      if (round === 0) continue;
      const t = totals.get(name) ?? { cpuMs: 0, tokens: 0, reads: 0, seconds: 0 };
      totals.set(name, {
        cpuMs: t.cpuMs + cpuMs,
        tokens: t.tokens + got,
        reads: t.reads + reads,
        seconds: t.seconds + seconds,
      });
      console.log(
        `  round ${round} ${name.padEnd(9)} ${((cpuMs / got) * 1000).toFixed(1)} ms CPU/1k tokens, ${(reads / seconds).toFixed(0)} reads/s`,
      );
    }
  }
  for (const [name, t] of totals) {
    console.log(
      `${name.padEnd(9)} ${((t.cpuMs / t.tokens) * 1000).toFixed(2)} ms CPU/1k tokens, ${(t.reads / t.seconds).toFixed(0)} reads/s`,
    );
  }
  console.log(`load at the end ${loadavg()}`);
  for (const { provider } of Object.values(ways)) await provider.close();
  child.kill();
}

function loadavg(): string {
  return (osLoad()[0] ?? 0).toFixed(2);
}
