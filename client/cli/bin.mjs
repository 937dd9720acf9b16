#!/usr/bin/env node
// `npx sparkroom ...`: the CLI is TypeScript run through tsx (a dependency of the package), like the server.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
// The composition root of the CLI: the folder commands, plus the server's own (doctor, backup).
const { opsCommands } = await import('../../server/ops/ops-commands.ts');
process.exitCode = await main(process.argv.slice(2), undefined, opsCommands);
