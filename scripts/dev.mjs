// `npm run dev`: the web client rebuilt on every change (vite build --watch) and the server restarted on
// every change (tsx watch), side by side; Ctrl-C stops both.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const watcher = await build({
  configFile: join(root, 'client/web/vite.config.ts'),
  logLevel: 'info',
  build: { watch: {} },
});
const server = spawn(process.execPath, ['--import', 'tsx', '--watch', 'server/main.ts'], {
  cwd: root,
  stdio: 'inherit',
});
const stop = async () => {
  server.kill('SIGTERM');
  if ('close' in watcher) await watcher.close();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
server.on('exit', async (code) => {
  if ('close' in watcher) await watcher.close();
  process.exit(code ?? 0);
});
