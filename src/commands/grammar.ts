/**
 * The command language: the words a user types after `/podnet` in Slack or after `podnet` in
 * a terminal, parsed by the verb registry (./verbs/index.ts: one spec per verb). Both surfaces
 * go through {@link parseTokens}; a verb or option a surface does not take is refused there as
 * unknown, with the usage of the verb in question.
 *
 * Parsing is pure. It validates every value (Kubernetes names, ports, durations, selectors,
 * regexes) and throws BadInputError whose message says what was wrong and what would be right,
 * with `.usage` set to the usage of the verb in question.
 */
import { BadInputError } from '../errors.js';
import { tokenize, type Token } from './tokenize.js';
import { SINCE_LIMITS } from './verbs/logs.js';
import { HelpRequest, scan, suggest } from './verbs/scan.js';
import type { ParseDefaults, Surface } from './verbs/spec.js';
import { TITLE_MAX } from './verbs/incident.js';
import { findVerb, helpText, specOf, verbsOn, type Commands, type ParsedCommand, type SlackVerb, type VerbName } from './verbs/index.js';
import { WATCH_LIMITS } from './verbs/watch.js';

export type { CheckCommand } from './verbs/check.js';
export type { ClustersCommand } from './verbs/clusters.js';
export type { FixCommand } from './verbs/fix.js';
export type { HelpCommand } from './verbs/help.js';
export type { IncidentCommand } from './verbs/incident.js';
export type { LogsCommand } from './verbs/logs.js';
export type { RunbookCommand } from './verbs/runbook.js';
export type { SweepCommand } from './verbs/sweep.js';
export type { WatchCommand, WatchStartCommand, WatchStopCommand } from './verbs/watch.js';
export { WATCH_DEFAULTS } from './verbs/watch.js';
export type { ParsedCommand, ParseDefaults, Surface };

/** The verbs typed in Slack, in help order. */
export const VERBS = verbsOn('slack') as unknown as readonly [SlackVerb, ...SlackVerb[]];
export type Verb = SlackVerb;

/** Bounds, in seconds (and the title's length). */
export const LIMITS = {
  ...WATCH_LIMITS,
  sinceMin: SINCE_LIMITS.min,
  sinceMax: SINCE_LIMITS.max,
  titleMax: TITLE_MAX,
} as const;

/** Usage line(s) for one verb on a surface (default Slack), without the leading `/podnet` or `podnet`. */
export function usageFor(verb: ParsedCommand['verb'], surface: Surface = 'slack'): string {
  return specOf(verb).usage(surface);
}

/** The general help text: every Slack verb with its usage and a one-line summary. */
export const HELP_TEXT: string = helpText(undefined);

/** Detailed help for one verb. */
export function helpFor(verb: string): string {
  return helpText(verb);
}

/** Accepts a leading `/podnet` or `podnet`. */
function stripPrefix(tokens: Token[]): Token[] {
  const first = tokens[0]?.text.toLowerCase();
  return first === '/podnet' || first === 'podnet' ? tokens.slice(1) : tokens;
}

/**
 * Parses and validates one command typed in Slack.
 *
 * @param text what the user typed after `/podnet`; an empty text is a request for help.
 * @param defaults the namespace to use when `-n` is absent (the channel's); else `default`.
 * @throws BadInputError with a one-line message and `.usage` of the verb.
 */
export function parseCommand(text: string, defaults?: ParseDefaults): ParsedCommand {
  return parseTokens(stripPrefix(tokenize(text)), 'slack', defaults);
}

/**
 * Parses a command already split into words by a shell (the CLI's argv, e.g.
 * `['check', 'mlserver-0', '-n', 'ml']`): each element is one word, never re-split. The CLI
 * parses with `surface` `cli` (src/bin/cli-args.ts); the default is Slack's grammar.
 */
export function parseArgv(argv: readonly string[], defaults?: ParseDefaults, surface: Surface = 'slack'): ParsedCommand {
  return parseTokens(
    argv.map((text) => ({ text, quoted: false })),
    surface,
    defaults,
  );
}

/** A command typed in a terminal, with the values of the options it took. */
export interface CliCommand<C extends ParsedCommand> {
  command: C;
  /** Every value option given, by key: those only the terminal takes (`scenario`, `output`…) are read from here. */
  values: ReadonlyMap<string, string>;
  /** Every switch given, by key. */
  switches: ReadonlySet<string>;
}

/**
 * Parses `podnet VERB ARGS…` through the verb's spec on the `cli` surface: the same flag table,
 * validation and messages as Slack. `undefined` when `--help` was asked.
 *
 * @throws BadInputError saying what was wrong, with `.usage` of the verb on the CLI.
 */
export function parseCli<V extends VerbName>(verb: V, argv: readonly string[]): CliCommand<Commands[V]> | undefined {
  const command = parseArgv([verb, ...argv], undefined, 'cli');
  if (command.verb === 'help') return undefined;
  const s = scan(verb, specOf(verb).flags, argv.map((text) => ({ text, quoted: false })), 'cli');
  return { command: command as Commands[V], values: s.values, switches: s.booleans };
}

/**
 * Parses one command on a surface: the first word picks the verb among those the surface
 * takes; the verb's spec parses the rest.
 */
export function parseTokens(tokens: Token[], surface: Surface, defaults?: ParseDefaults): ParsedCommand {
  const head = tokens[0];
  if (head === undefined) return { verb: 'help' };
  const spec = findVerb(head.text, surface);
  if (!spec) {
    const verbText = head.text.toLowerCase();
    if (verbText === '--help' || verbText === '-h') return { verb: 'help' };
    const verbs = verbsOn(surface);
    throw new BadInputError(`Unknown command "${head.text}"${suggest(verbText, verbs)}: use one of ${verbs.join(', ')}`, HELP_TEXT);
  }
  try {
    return spec.parse({ tokens: tokens.slice(1), surface, ...(defaults !== undefined && { defaults }) });
  } catch (err) {
    if (err instanceof HelpRequest) return { verb: 'help', topic: err.topic };
    if (err instanceof BadInputError && err.usage === undefined) throw new BadInputError(err.message, spec.usage(surface));
    throw err;
  }
}

/** True when running the command changes something in the cluster (needs intrusive permission). */
export function isIntrusive(cmd: ParsedCommand): boolean {
  return specOf(cmd).permission.intrusive(cmd);
}

/** True when the command runs against one cluster (the bot routes it and checks for a live worker). */
export function commandRoutes(cmd: ParsedCommand): boolean {
  return specOf(cmd).routes(cmd);
}

/** The namespace a command touches, if any (what authorization checks). */
export function commandNamespace(cmd: ParsedCommand): string | undefined {
  return 'namespace' in cmd ? cmd.namespace : undefined;
}

/**
 * Canonical text of a command; `parseCommand(formatCommand(c))` gives back `c`. Used for
 * button values, audit lines and "queued" messages.
 */
export function formatCommand(cmd: ParsedCommand): string {
  return [cmd.verb, ...specOf(cmd).format(cmd)].join(' ');
}

/** A short human description: "check of mlserver-0 in financial-ml". */
export function describeCommand(cmd: ParsedCommand): string {
  return specOf(cmd).describe(cmd);
}
