// `node --import ./scripts/ts-register.mjs server/main.ts`: runs the server's TypeScript without tsx (see
// ts-hooks.mjs for why). Stack traces map to the .ts lines through the inline source maps.
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register('./ts-hooks.mjs', import.meta.url);
