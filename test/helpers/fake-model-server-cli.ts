import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startFakeModelServer } from './fake-model-server.ts';

/**
 * Runs the fake model server by hand, e.g. to point a local Sparkroom at it:
 *   npx tsx test/helpers/fake-model-server-cli.ts --port 9999 --tps 1000 --text-file reply.txt
 *   SPARK_BASE_URL=<printed url> SPARK_API=responses npm start
 * Every request gets the same reply (the file's text, or a short greeting).
 */
const usage = `usage: fake-model-server-cli [--host 127.0.0.1] [--port 0] [--tps 1000] [--ttft-ms 0]
                             [--text-file FILE | --text TEXT]`;

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    tps: { type: 'string', default: '1000' },
    'ttft-ms': { type: 'string', default: '0' },
    'text-file': { type: 'string' },
    text: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(usage);
  process.exit(0);
}

const number = (name: string, raw: string): number => {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name} must be a non-negative number, got ${JSON.stringify(raw)}\n${usage}`);
    process.exit(2);
  }
  return n;
};

const text = values['text-file'] ? readFileSync(values['text-file'], 'utf8') : (values.text ?? undefined);
const tokensPerSecond = number('tps', values.tps);
if (tokensPerSecond === 0) {
  console.error(`--tps must be above 0\n${usage}`);
  process.exit(2);
}
const server = await startFakeModelServer({
  host: values.host,
  port: number('port', values.port),
  ...(text === undefined
    ? {}
    : { defaultReply: { text, tokensPerSecond, ttftMs: number('ttft-ms', values['ttft-ms']) } }),
});
if (text === undefined) {
  server.setHandler(() => ({
    text: 'Hello from the fake model server.\n',
    tokensPerSecond,
    ttftMs: number('ttft-ms', values['ttft-ms']),
  }));
}
console.log(server.url);

const shutdown = () => {
  server.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
