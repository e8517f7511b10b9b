/**
 * What one verb of podnet's command language is, as data: the parts every verb must have.
 * A verb is one file in this folder exporting a {@link VerbSpec}; ./index.ts registers it.
 * The Slack app, the CLI, `help`, routing, the producer and the workers all read these specs,
 * so a verb is added in one place and the compiler names every part it lacks.
 *
 * Nothing here imports src/queue, src/slack or jobs/: a spec names its job, processor and
 * renderer as data, and the producer (src/queue/enqueue.ts) and the composition roots (src/compose/)
 * map those names to code, each through a mapped type that must cover every name.
 */
import type { Permission } from '../../authz/permission.js';
import type { Token } from '../tokenize.js';

/** Where a command can be typed: `/podnet …` in Slack (and `@podnet …`), or `podnet …` in a terminal. */
export type Surface = 'slack' | 'cli';

/**
 * One option of a verb, the same on every surface that takes it. `kind`:
 * - `string`: takes a value, as the next word or inline (`--port 9500`, `--port=9500`);
 * - `boolean`: a switch, takes no value.
 */
export interface FlagSpec {
  /** Key under which the scanner stores it (unique per verb). */
  key: string;
  /** Every spelling, e.g. `['-n', '--namespace']` (unique per verb). */
  names: readonly string[];
  kind: 'string' | 'boolean';
  /** Which surfaces take it; on another surface it is an unknown option. */
  surfaces: readonly Surface[];
  /** The value as a usage text names it, e.g. `NS` (string flags). */
  metavar?: string;
  /** How "needs a value" messages name the value, e.g. `a namespace`. */
  valueName?: string;
  example?: string;
  /** One line for the option list of `podnet VERB --help`. */
  help: string;
  /** Switches only: what to write instead when a value is given to it (e.g. `--evidence-file FILE`). */
  valueInstead?: string;
}

/** What a parse needs besides the words. */
export interface ParseDefaults {
  /** Namespace when `-n` is not given (the channel's, from policy); else `default`. */
  namespace?: string;
}

/** The words after the verb, and where they were typed. */
export interface ParseInput {
  tokens: Token[];
  surface: Surface;
  defaults?: ParseDefaults;
}

/**
 * Where a verb runs and what answers:
 * - `worker`: the bot enqueues job `job` on the cluster's `checks` queue; the worker runs it
 *   with processor `processor`; `renderer` (module#export) draws the Slack messages.
 * - `bot`: the bot answers at once with the text `answer` returns (no queue).
 * - `terminal`: a CLI-only verb run in-process by its src/bin entry point.
 */
export type Execution<C> =
  | { readonly on: 'worker'; readonly job: string; readonly processor: string; readonly renderer: string }
  | { readonly on: 'bot'; readonly answer: (cmd: C, bot: BotContext) => Promise<string>; readonly renderer: string }
  | { readonly on: 'terminal'; readonly renderer: string };

/** One live or recently seen worker as the bot reads it from the heartbeats (src/queue/heartbeat.ts). */
export interface WorkerSummary {
  workerId: string;
  version: string;
  hostname: string;
}

/** One cluster as the bot reads it from the heartbeats. */
export interface ClusterSummary {
  cluster: string;
  live: boolean;
  workers: WorkerSummary[];
  lastSeenAgoMs: number;
}

/** What verbs answered by the bot may read. Each part is optional: a deployment without Redis has none. */
export interface BotContext {
  /** podnet's own version (package.json). */
  version: string;
  /** The clusters and their workers, from the heartbeats. */
  clusters?: () => Promise<ClusterSummary[]>;
  /** The `/podnet clusters` answer (Slack mrkdwn). */
  clustersText?: () => Promise<string>;
}

/**
 * Every part of one verb. `C` is its parsed command type, discriminated on `verb`.
 * Missing any part is a compile error where the spec is declared (`satisfies VerbSpec<…>`)
 * and a failing test (test/unit/verb-registry.test.ts).
 */
export interface VerbSpec<C extends { verb: string }> {
  name: C['verb'];
  /** Other words that select the verb (none today; checked for collisions with every name). */
  aliases: readonly string[];
  /**
   * Usage line(s) on one surface, without the leading `/podnet` or `podnet`: `help`, the CLI's
   * `--help` and every bad-input message show it. Verbs of one form build it from their flags
   * ({@link FlagSpec}, ./usage.ts `synopsis`), so a flag added to the table appears in it.
   */
  usage(surface: Surface): string;
  /** One line for `help`. */
  summary: string;
  surfaces: readonly Surface[];
  flags: readonly FlagSpec[];
  /** Parses and validates the words after the verb; throws BadInputError saying what was wrong. */
  parse(input: ParseInput): C;
  /** Canonical words of a command (after the verb): `parse(format(c))` gives back `c`. */
  format(cmd: C): string[];
  /** A short human description: "check of mlserver-0 in financial-ml". */
  describe(cmd: C): string;
  /**
   * True when the command runs against one cluster: the bot fills its cluster (`--cluster`, the
   * channel's, the default) and refuses it when that cluster has no live worker.
   */
  routes(cmd: C): boolean;
  permission: Permission<C>;
  run: Execution<C>;
}
