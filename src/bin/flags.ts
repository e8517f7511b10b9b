/**
 * Flag parsing for the `podnet` subcommands that take plain flags (demo, worker, incident).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BadInputError } from '../errors.js';

/**
 * node:util `parseArgs` with `config` as given; a flag it refuses becomes a BadInputError with
 * parseArgs' own message (which names the flag) followed by the subcommand's `usage`.
 */
export function parseFlags<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new BadInputError(`${(err as Error).message}\n\n${usage}`);
  }
}
