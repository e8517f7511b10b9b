/**
 * The exit codes of every `podnet` subcommand (documented in the README), and the one mapping
 * from an error to its code. Kept apart from cli.ts, which runs on import.
 */
import { PodnetError } from '../errors.js';

export const EXIT = {
  /** Done; for check and fix a diagnosis was made, whatever it found. */
  ok: 0,
  failure: 1,
  badInput: 2,
  /** The Kubernetes API (or Redis) cannot be reached, or timed out. */
  unreachable: 3,
  /** The pod does not exist (check, fix). */
  notFound: 4,
} as const;

/** Exit code for an error that stopped a subcommand. */
export function exitCodeFor(err: unknown): number {
  if (!(err instanceof PodnetError)) return EXIT.failure;
  switch (err.code) {
    case 'bad-input':
      return EXIT.badInput;
    case 'not-found':
      return EXIT.notFound;
    case 'unavailable':
    case 'timeout':
      return EXIT.unreachable;
    default:
      return EXIT.failure;
  }
}
