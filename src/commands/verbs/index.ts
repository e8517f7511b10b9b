/**
 * The verb registry: every verb podnet understands, one spec per file in this folder.
 *
 * To add a verb: write `./<verb>.ts` exporting its command type and a spec that
 * `satisfies VerbSpec<…>` (./spec.ts), add one line to {@link Commands} and one to
 * {@link REGISTRY}. The compiler then refuses a registry without the verb's spec, and a spec
 * without any part (usage, summary, surfaces, flags, parse, format, describe, routes,
 * permission, run); `checkRegistry` refuses two verbs or two options with one name when this
 * module loads, and test/unit/verb-registry.test.ts runs both checks.
 */
import { checkVerb, type CheckCommand } from './check.js';
import { clustersVerb, type ClustersCommand } from './clusters.js';
import { fixVerb, type FixCommand } from './fix.js';
import { helpVerb, type HelpCommand } from './help.js';
import { incidentVerb, type IncidentCommand } from './incident.js';
import { logsVerb, type LogsCommand } from './logs.js';
import { runbookVerb, type RunbookCommand } from './runbook.js';
import { flagsOn } from './scan.js';
import type { Surface, VerbSpec } from './spec.js';
import { sweepVerb, type SweepCommand } from './sweep.js';
import { optionList, wrapWords } from './usage.js';
import { versionVerb, type VersionCommand } from './version.js';
import { watchVerb, type WatchCommand } from './watch.js';

/** The parsed command of every verb, by name. */
export interface Commands {
  check: CheckCommand;
  fix: FixCommand;
  logs: LogsCommand;
  watch: WatchCommand;
  sweep: SweepCommand;
  incident: IncidentCommand;
  runbook: RunbookCommand;
  clusters: ClustersCommand;
  version: VersionCommand;
  help: HelpCommand;
}

export type VerbName = keyof Commands;

/** A parsed, validated command of any verb. Discriminated on `verb` (and `action` where a verb has several). */
export type ParsedCommand = Commands[VerbName];

/** One spec per verb: TypeScript refuses a registry that lacks a verb or a spec that lacks a part. */
export type Registry = { readonly [V in VerbName]: VerbSpec<Commands[V]> };

/** Every verb, in help order. */
export const REGISTRY = {
  check: checkVerb,
  fix: fixVerb,
  logs: logsVerb,
  watch: watchVerb,
  sweep: sweepVerb,
  incident: incidentVerb,
  runbook: runbookVerb,
  clusters: clustersVerb,
  version: versionVerb,
  help: helpVerb({ names: () => verbsOn('slack'), text: (topic) => helpText(topic) }),
} as const satisfies Registry;

type Specs = typeof REGISTRY;

/** Verbs typed in Slack (`/podnet VERB`). */
export type SlackVerb = { [V in VerbName]: 'slack' extends Specs[V]['surfaces'][number] ? V : never }[VerbName];

/** Verbs a worker runs (the bot enqueues them). */
export type WorkerVerb = { [V in VerbName]: Specs[V]['run'] extends { on: 'worker' } ? V : never }[VerbName];

/** The processor keys the registry names: the workers' composition root maps each to a processor. */
export type ProcessorKey = { [V in WorkerVerb]: Specs[V]['run'] extends { processor: infer P } ? P : never }[WorkerVerb];

/** The job names the registry names (src/queue/contracts.ts JOB_NAMES must hold each). */
export type VerbJobName = { [V in WorkerVerb]: Specs[V]['run'] extends { job: infer J } ? J : never }[WorkerVerb];

/** Every spec, as the generic code that iterates over them sees it. */
export const SPECS: readonly VerbSpec<ParsedCommand>[] = Object.values(REGISTRY) as unknown as VerbSpec<ParsedCommand>[];

/** What each verb run by a worker names: its job on the `checks` queue and the processor that runs it. */
export function workerJobs(): { verb: WorkerVerb; job: VerbJobName; processor: ProcessorKey }[] {
  return SPECS.flatMap((s) => (s.run.on === 'worker' ? [{ verb: s.name as WorkerVerb, job: s.run.job as VerbJobName, processor: s.run.processor as ProcessorKey }] : []));
}

/** The spec of a command's verb. */
export function specOf<C extends ParsedCommand>(cmd: C | C['verb']): VerbSpec<C> {
  const verb = typeof cmd === 'string' ? cmd : cmd.verb;
  return REGISTRY[verb as VerbName] as unknown as VerbSpec<C>;
}

/** Verb names on one surface, in help order. */
export function verbsOn(surface: Surface): VerbName[] {
  return SPECS.filter((s) => s.surfaces.includes(surface)).map((s) => s.name);
}

/** The spec a typed word selects on one surface (name or alias, case-insensitive), if any. */
export function findVerb(word: string, surface: Surface): VerbSpec<ParsedCommand> | undefined {
  const w = word.toLowerCase();
  return SPECS.find((s) => s.surfaces.includes(surface) && (s.name === w || s.aliases.includes(w)));
}

/** The general help text of Slack (no topic) or one verb's usage and summary. */
export function helpText(topic: string | undefined): string {
  const spec = topic === undefined ? undefined : findVerb(topic, 'slack');
  if (spec) return `${spec.usage('slack')}\n${spec.summary}`;
  return [
    'podnet — find the true cause of intra-pod network failures.',
    '',
    ...verbsOn('slack').map((v) => `• ${REGISTRY[v].usage('slack')}\n    ${REGISTRY[v].summary}`),
    '',
    'Namespace defaults to the channel\'s (policy), else "default". Durations: 30s, 10m, 1h.',
    'Example: check mlserver-0 -n financial-ml --client agent --server mlserver --port 9500',
  ].join('\n');
}

/** What `podnet VERB --help` adds to what the spec says. */
export interface CliHelpExtras {
  /** Paragraph(s) after the usage; default the verb's summary. */
  about?: string;
  /** Text after the option list (exit codes). */
  footer?: string;
}

/** `Usage: podnet VERB …` on the CLI, wrapped: the first line of `--help` and of every bad-input message. */
export function cliUsage(verb: VerbName): string {
  const head = 'Usage: podnet ';
  const usage = REGISTRY[verb].usage('cli');
  return wrapWords(`${head}${usage}`, { indent: head.length + usage.indexOf(' ', usage.indexOf(' ') + 1) + 1 });
}

/**
 * The text of `podnet VERB --help`: the usage and option list built from the verb's flag table
 * for the CLI (the table `help VERB` in Slack and the parser read), then `extras`.
 */
export function cliHelpText(verb: VerbName, extras: CliHelpExtras = {}): string {
  const spec = REGISTRY[verb];
  return [cliUsage(verb), '', extras.about ?? `${spec.summary}.`, '', 'Options:', optionList(spec.flags, 'cli'), ...(extras.footer !== undefined ? ['', extras.footer] : [])].join('\n');
}

const PARTS = ['name', 'aliases', 'usage', 'summary', 'surfaces', 'flags', 'parse', 'format', 'describe', 'routes', 'permission', 'run'] as const;

/**
 * Every problem with a set of specs: a missing part, two verbs (or a verb and an alias) with
 * one word, two options of one verb with one key or one spelling on a surface. Empty when sound.
 */
export function registryProblems(specs: Readonly<Record<string, VerbSpec<ParsedCommand>>>): string[] {
  const problems: string[] = [];
  const words = new Map<string, string>();
  for (const [key, spec] of Object.entries(specs)) {
    for (const part of PARTS) if ((spec as unknown as Record<string, unknown>)[part] === undefined) problems.push(`verb ${key} has no ${part}`);
    if (spec.name !== undefined && spec.name !== key) problems.push(`verb registered as ${key} is named ${spec.name}`);
    if (spec.permission !== undefined && typeof spec.permission.intrusive !== 'function') problems.push(`verb ${key} has no permission.intrusive`);
    if (spec.run?.on === 'worker' && !(spec.run.job && spec.run.processor && spec.run.renderer)) problems.push(`verb ${key} runs on a worker but names no job, processor or renderer`);
    for (const word of [key, ...(spec.aliases ?? [])]) {
      const owner = words.get(word);
      if (owner !== undefined) problems.push(`"${word}" names both ${owner} and ${key}`);
      words.set(word, key);
    }
    for (const surface of spec.surfaces ?? []) {
      const keys = new Set<string>();
      const names = new Map<string, string>();
      for (const flag of flagsOn(spec.flags ?? [], surface)) {
        if (keys.has(flag.key)) problems.push(`verb ${key} has two options with key ${flag.key} on ${surface}`);
        keys.add(flag.key);
        for (const n of flag.names) {
          if (names.has(n)) problems.push(`verb ${key} has two options spelled ${n} on ${surface} (${names.get(n)} and ${flag.key})`);
          names.set(n, flag.key);
        }
      }
    }
  }
  return problems;
}

/** Refuses an unsound registry at load: a collision is a programming error, caught by every test run. */
export function checkRegistry(specs: Readonly<Record<string, VerbSpec<ParsedCommand>>>): void {
  const problems = registryProblems(specs);
  if (problems.length) throw new Error(`podnet verb registry: ${problems.join('; ')}`);
}

checkRegistry(REGISTRY as unknown as Record<string, VerbSpec<ParsedCommand>>);
