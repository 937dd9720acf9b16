#!/usr/bin/env node
// `npx sparkroom ...`: the CLI is TypeScript run through tsx (a dependency of the package), like the server.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
