// Lets a child process run the TypeScript sources directly, without a build:
// `node --import ./test/helpers/register-ts.js some-file.ts`. Tests use it to run a worker in a
// process they can SIGKILL. Transpile only (types are checked by `npm run typecheck`).
import { register } from 'node:module';

register('./ts-hooks.js', import.meta.url);
