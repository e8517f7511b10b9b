/**
 * The terminal's side of the one grammar: `podnet check|logs|fix …` parse through the verb's
 * spec (src/commands/verbs) on the `cli` surface, as Slack does on its own, and this module reads
 * the options only a terminal takes — where the cluster is (`--scenario`, `--lab`,
 * `--kubeconfig`, `--context`, `--in-cluster`) and how to print (`--output`) — which every
 * one of those verbs declares in its flag table.
 */
import { parseCli } from '../commands/grammar.js';
import { cliHelpText, specOf, type CliHelpExtras, type Commands } from '../commands/verbs/index.js';
import { BadInputError, describeError } from '../errors.js';
import { EXIT } from './exit.js';
import { labOptionsFrom } from '../lab/cli.js';
import type { LabOptions } from '../lab/lab.js';

/** Where a CLI command finds its cluster. */
export interface ClusterSource {
  /** A scenario file served by an in-process simulator, instead of a real cluster. */
  scenario?: string;
  /** With scenario: run it in a lab (real network namespaces). */
  lab?: LabOptions;
  kubeconfig?: string;
  context?: string;
  inCluster: boolean;
}

/** A parsed terminal command: what both surfaces mean, where the cluster is, how to print. */
export interface CliArgs<C, F extends string> {
  command: C;
  source: ClusterSource;
  output: F;
  /** Values of the verb's other terminal-only options (`evidence-file`, `tail`…), by key. */
  values: ReadonlyMap<string, string>;
}

/** The verbs a terminal runs in-process through this module. */
export type CliVerb = 'check' | 'logs' | 'fix';

/** A terminal-only value given as blank words (`--scenario ' '`) names no file: say what it needs. */
function refuseBlank<V extends CliVerb>(verb: V, values: ReadonlyMap<string, string>): void {
  for (const flag of specOf(verb).flags) {
    const value = values.get(flag.key);
    if (flag.kind !== 'string' || flag.surfaces.includes('slack') || value === undefined || value.trim() !== '') continue;
    throw new BadInputError(`${flag.names[0]} needs a value: ${flag.valueName ?? 'a value'}, e.g. ${flag.example ?? `${flag.names[0]} VALUE`}`);
  }
}

/** `--scenario` or a kubeconfig or the service account, never two of them. */
function sourceOf(values: ReadonlyMap<string, string>, switches: ReadonlySet<string>): ClusterSource {
  const scenario = values.get('scenario');
  const kubeconfig = values.get('kubeconfig');
  const context = values.get('context');
  const inCluster = switches.has('in-cluster');
  if (scenario !== undefined && (kubeconfig !== undefined || context !== undefined || inCluster)) {
    throw new BadInputError('--scenario uses a simulated cluster: drop --kubeconfig/--context/--in-cluster, or drop --scenario');
  }
  if (inCluster && (kubeconfig !== undefined || context !== undefined)) throw new BadInputError('--in-cluster uses the service account: drop --kubeconfig/--context');
  const labTools = values.get('lab-tools');
  const lab = labOptionsFrom({ lab: switches.has('lab'), ...(labTools !== undefined && { 'lab-tools': labTools }) }, scenario);
  return {
    ...(scenario !== undefined && { scenario }),
    ...(lab && { lab }),
    ...(kubeconfig !== undefined && { kubeconfig }),
    ...(context !== undefined && { context }),
    inCluster,
  };
}

/**
 * Parses the words after `podnet VERB`: the verb's spec parses and validates them on the CLI
 * surface, then the cluster source and the output format are read. `undefined` = `--help`.
 *
 * @param formats what `--output` may be, the first the default.
 * @throws BadInputError saying what was wrong and what would be right.
 */
export function parseCliArgs<V extends CliVerb, F extends string>(verb: V, argv: readonly string[], formats: readonly [F, ...F[]]): CliArgs<Commands[V], F> | undefined {
  const parsed = parseCli(verb, argv);
  if (!parsed) return undefined;
  refuseBlank(verb, parsed.values);
  const output = parsed.values.get('output') ?? formats[0];
  if (!(formats as readonly string[]).includes(output)) throw new BadInputError(`--output must be one of ${formats.join(', ')} (got "${output}")`);
  return { command: parsed.command, source: sourceOf(parsed.values, parsed.switches), output: output as F, values: parsed.values };
}

/** Where a CLI entry point writes; injectable so tests capture output without spawning a process. */
export interface CliOut {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * Parses for an entry point's `main`: on `--help` prints the verb's help (exit 0), on bad input
 * — from the grammar or from `build`, which turns the parsed words into the entry point's
 * arguments — prints `podnet VERB: what was wrong` and the help (exit 2); else `build`'s result.
 */
export function parseOrExit<V extends CliVerb, F extends string, A>(
  verb: V,
  argv: readonly string[],
  formats: readonly [F, ...F[]],
  io: CliOut,
  extras: CliHelpExtras,
  build: (parsed: CliArgs<Commands[V], F>) => A,
): { args: A } | { exit: number } {
  try {
    const parsed = parseCliArgs(verb, argv, formats);
    if (parsed) return { args: build(parsed) };
  } catch (err) {
    io.stderr(`podnet ${verb}: ${describeError(err)}\n\n${cliHelpText(verb, extras)}\n`);
    return { exit: EXIT.badInput };
  }
  io.stdout(`${cliHelpText(verb, extras)}\n`);
  return { exit: EXIT.ok };
}
