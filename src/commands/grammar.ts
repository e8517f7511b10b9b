/**
 * The command language shared by Slack (`/podnet …`) and the CLI. One parser, one set of
 * usage texts: what a user types in either place means the same thing.
 *
 * `parseCommand` is pure. It validates every value (Kubernetes names, ports, durations,
 * selectors, regexes) and throws BadInputError whose message says what was wrong and what
 * would be right, with `.usage` set to the usage of the verb in question.
 */
import { BadInputError } from '../errors.js';
import { tokenize, type Token } from './tokenize.js';
import {
  formatDuration,
  validateDuration,
  validateImage,
  validateLabel,
  validatePodName,
  validatePort,
  validateRegex,
  validateRunbookName,
  validateSelector,
} from './validate.js';

export const VERBS = ['check', 'logs', 'watch', 'sweep', 'incident', 'runbook', 'clusters', 'help'] as const;
export type Verb = (typeof VERBS)[number];

/** `check POD`: full intra-pod network diagnosis of one pod. */
export interface CheckCommand {
  verb: 'check';
  pod: string;
  namespace: string;
  /** Client container (the one that dials); inferred when absent. */
  client?: string;
  /** Server container (the one that should listen); inferred when absent. */
  server?: string;
  port?: number;
  /** Opt-in ephemeral debug container image (an intrusive action). */
  debugContainerImage?: string;
  /** Also post the full evidence (as a file) in the thread. */
  evidence?: boolean;
  cluster?: string;
}

/** `logs POD`: bounded log collection, scanned for known signatures. */
export interface LogsCommand {
  verb: 'logs';
  pod: string;
  namespace: string;
  container?: string;
  previous: boolean;
  sinceSeconds?: number;
  grep?: string;
  cluster?: string;
}

/** `watch POD`: repeated checks, posting only on change. */
export interface WatchStartCommand {
  verb: 'watch';
  action: 'start';
  pod: string;
  namespace: string;
  everySeconds: number;
  forSeconds: number;
  cluster?: string;
}

/** `watch stop [POD]`: stop this channel's watches (of one pod, or all). */
export interface WatchStopCommand {
  verb: 'watch';
  action: 'stop';
  pod?: string;
  namespace?: string;
}

export type WatchCommand = WatchStartCommand | WatchStopCommand;

/** `sweep`: check every matching pod, one summary table. */
export interface SweepCommand {
  verb: 'sweep';
  namespace: string;
  selector?: string;
  cluster?: string;
}

export type IncidentCommand =
  | { verb: 'incident'; action: 'open'; title: string }
  | { verb: 'incident'; action: 'summary' }
  | { verb: 'incident'; action: 'close' };

export type RunbookCommand =
  | { verb: 'runbook'; action: 'list' }
  | { verb: 'runbook'; action: 'show'; name: string }
  | { verb: 'runbook'; action: 'run'; name: string; pod: string; namespace: string; cluster?: string };

/** `clusters`: the clusters podnet knows, which have a live worker, and when each was last seen. */
export interface ClustersCommand {
  verb: 'clusters';
}

export interface HelpCommand {
  verb: 'help';
  /** The verb asked about; absent for general help. */
  topic?: Verb;
}

/** A parsed, validated command. Discriminated on `verb` (and `action` where a verb has several). */
export type ParsedCommand =
  | CheckCommand
  | LogsCommand
  | WatchCommand
  | SweepCommand
  | IncidentCommand
  | RunbookCommand
  | ClustersCommand
  | HelpCommand;

export interface ParseDefaults {
  /** Namespace when `-n` is not given (the channel's, from policy); else `default`. */
  namespace?: string;
}

/** Bounds, in seconds. */
export const LIMITS = {
  everyMin: 10,
  everyMax: 24 * 3600,
  forMin: 10,
  forMax: 24 * 3600,
  sinceMin: 1,
  sinceMax: 7 * 24 * 3600,
  titleMax: 150,
} as const;

export const WATCH_DEFAULTS = { everySeconds: 30, forSeconds: 30 * 60 } as const;

const USAGE: Record<Verb, string> = {
  check: 'check POD [-n NS] [--client C] [--server S] [--port P] [--debug-container IMAGE] [--evidence] [--cluster NAME]',
  logs: 'logs POD [-n NS] [-c CONTAINER] [--previous] [--since 10m] [--grep RE] [--cluster NAME]',
  watch: 'watch POD [-n NS] [--every 30s] [--for 30m] [--cluster NAME]  |  watch stop [POD] [-n NS]',
  sweep: 'sweep [-n NS] [-l SELECTOR] [--cluster NAME]',
  incident: 'incident open TITLE…  |  incident summary  |  incident close',
  runbook: 'runbook list  |  runbook show NAME  |  runbook run NAME POD [-n NS] [--cluster NAME]',
  clusters: 'clusters',
  help: 'help [VERB]',
};

const SUMMARY: Record<Verb, string> = {
  check: 'diagnose intra-pod networking of one pod (sockets, netns, dial, logs, events, policies)',
  logs: 'collect a bounded slice of a container log, scanned for known signatures',
  watch: 'check a pod repeatedly and post only when the finding changes',
  sweep: 'check every matching pod; one summary table',
  incident: 'open a threaded incident; every check and action in it lands on its timeline',
  runbook: 'list, show or run an on-call runbook',
  clusters: 'list the clusters with a live podnet worker, and when each was last seen',
  help: 'this help, or the usage of one command',
};

/** Usage line(s) for one verb, without the leading `/podnet`. */
export function usageFor(verb: Verb): string {
  return USAGE[verb];
}

/** The general help text: every verb with its usage and a one-line summary. */
export const HELP_TEXT: string = [
  'podnet — find the true cause of intra-pod network failures.',
  '',
  ...VERBS.map((v) => `• ${USAGE[v]}\n    ${SUMMARY[v]}`),
  '',
  'Namespace defaults to the channel\'s (policy), else "default". Durations: 30s, 10m, 1h.',
  'Example: check mlserver-0 -n financial-ml --client agent --server mlserver --port 9500',
].join('\n');

/** Detailed help for one verb. */
export function helpFor(verb: Verb): string {
  return `${USAGE[verb]}\n${SUMMARY[verb]}`;
}

type FlagKind = 'string' | 'boolean';

interface FlagSpec {
  key: string;
  names: string[];
  kind: FlagKind;
  /** How to name the value in "needs a value" messages. */
  valueName?: string;
  example?: string;
}

const F = {
  namespace: { key: 'namespace', names: ['-n', '--namespace'], kind: 'string', valueName: 'a namespace', example: '-n financial-ml' },
  client: { key: 'client', names: ['--client'], kind: 'string', valueName: 'a container name', example: '--client agent' },
  server: { key: 'server', names: ['--server'], kind: 'string', valueName: 'a container name', example: '--server mlserver' },
  port: { key: 'port', names: ['--port', '-p'], kind: 'string', valueName: 'a port number', example: '--port 9500' },
  debug: { key: 'debug', names: ['--debug-container'], kind: 'string', valueName: 'an image', example: '--debug-container busybox:1.36' },
  evidence: { key: 'evidence', names: ['--evidence'], kind: 'boolean' },
  cluster: { key: 'cluster', names: ['--cluster'], kind: 'string', valueName: 'a cluster name', example: '--cluster prod-eu' },
  container: { key: 'container', names: ['-c', '--container'], kind: 'string', valueName: 'a container name', example: '-c mlserver' },
  previous: { key: 'previous', names: ['--previous'], kind: 'boolean' },
  since: { key: 'since', names: ['--since'], kind: 'string', valueName: 'a duration', example: '--since 10m' },
  grep: { key: 'grep', names: ['--grep'], kind: 'string', valueName: 'a regular expression', example: "--grep 'refused|timeout'" },
  every: { key: 'every', names: ['--every'], kind: 'string', valueName: 'a duration', example: '--every 30s' },
  for: { key: 'for', names: ['--for'], kind: 'string', valueName: 'a duration', example: '--for 30m' },
  selector: { key: 'selector', names: ['-l', '--selector'], kind: 'string', valueName: 'a label selector', example: '-l app=mlserver' },
} satisfies Record<string, FlagSpec>;

const FLAGS_BY_VERB: Record<Verb, FlagSpec[]> = {
  check: [F.namespace, F.client, F.server, F.port, F.debug, F.evidence, F.cluster],
  logs: [F.namespace, F.container, F.previous, F.since, F.grep, F.cluster],
  watch: [F.namespace, F.every, F.for, F.cluster],
  sweep: [F.namespace, F.selector, F.cluster],
  incident: [],
  runbook: [F.namespace, F.cluster],
  clusters: [],
  help: [],
};

/** Edit distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const tmp = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

function suggest(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

function bad(verb: Verb, message: string): never {
  throw new BadInputError(message, USAGE[verb]);
}

/** Slack clients may turn `--` into an em or en dash; read those as the dashes typed. */
function normaliseDashes(word: string): string {
  return word.replace(/^[\u2014\u2013]/, '--').replace(/^\u2212/, '-');
}

interface Scanned {
  positionals: string[];
  values: Map<string, string>;
  booleans: Set<string>;
  help: boolean;
}

function looksLikeFlag(token: Token): boolean {
  if (token.quoted) return false;
  const t = normaliseDashes(token.text);
  return t.startsWith('-') && t.length > 1 && !/^-\d/.test(t);
}

/** Separates flags from positionals for one verb, checking each flag against the verb's table. */
function scan(verb: Verb, tokens: Token[]): Scanned {
  const specs = FLAGS_BY_VERB[verb];
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) for (const n of s.names) byName.set(n, s);
  const out: Scanned = { positionals: [], values: new Map(), booleans: new Set(), help: false };
  const seen = new Map<string, string>();

  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] as Token;
    if (!looksLikeFlag(token)) {
      out.positionals.push(token.text);
      continue;
    }
    const word = normaliseDashes(token.text);
    const eq = word.indexOf('=');
    const name = eq === -1 ? word : word.slice(0, eq);
    const inline = eq === -1 ? undefined : word.slice(eq + 1);
    if (name === '-h' || name === '--help') {
      out.help = true;
      continue;
    }
    const spec = byName.get(name);
    if (!spec) {
      const valid = specs.flatMap((s) => s.names);
      const list = valid.length ? `valid options: ${specs.map((s) => s.names.join('/')).join(', ')}` : 'it takes no options';
      bad(verb, `Unknown option "${name}" for ${verb}${suggest(name, valid)}: ${list}`);
    }
    const previous = seen.get(spec.key);
    if (previous !== undefined) bad(verb, `${name} is given twice (already ${previous}): give it once`);
    seen.set(spec.key, name);

    if (spec.kind === 'boolean') {
      if (inline !== undefined) bad(verb, `${name} takes no value (got "${inline}"): write just ${name}`);
      out.booleans.add(spec.key);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = tokens[i + 1];
      if (next === undefined || (looksLikeFlag(next) && byName.has(normaliseDashes(next.text).split('=')[0] as string))) {
        bad(verb, `${name} needs a value: ${spec.valueName ?? 'a value'}, e.g. ${spec.example ?? `${name} VALUE`}`);
      }
      value = next.text;
      i += 1;
    }
    if (spec.key === 'selector') {
      // `-l app in (a, b)` typed without quotes: keep reading until the parentheses balance.
      const open = (s: string) => (s.match(/\(/g) ?? []).length - (s.match(/\)/g) ?? []).length;
      const next = (k: number) => tokens[i + k]?.text ?? '';
      while (
        i + 1 < tokens.length &&
        (open(value) > 0 ||
          (/^(in|notin)$/.test(next(1)) && next(2).startsWith('(')) ||
          (/\s(in|notin)$/.test(value) && next(1).startsWith('(')))
      ) {
        i += 1;
        value += ` ${(tokens[i] as Token).text}`;
      }
    }
    if (value === '') bad(verb, `${name} needs a value: ${spec.valueName ?? 'a value'}, e.g. ${spec.example ?? `${name} VALUE`}`);
    out.values.set(spec.key, value);
  }
  return out;
}

function expectPositionals(verb: Verb, got: string[], max: number, what: string): void {
  if (got.length > max) {
    const extra = got[max] as string;
    bad(verb, `Unexpected "${extra}" after ${what}: ${verb} takes ${max === 0 ? 'no arguments' : `${max} argument${max === 1 ? '' : 's'}`} (quote values that contain spaces)`);
  }
}

function namespaceOf(s: Scanned, defaults: ParseDefaults | undefined): string {
  const ns = s.values.get('namespace') ?? defaults?.namespace ?? 'default';
  return validateLabel(ns, 'namespace');
}

function clusterOf(s: Scanned): string | undefined {
  const c = s.values.get('cluster');
  return c === undefined ? undefined : validateLabel(c, 'cluster name');
}

function withUsage<T>(verb: Verb, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BadInputError && err.usage === undefined) throw new BadInputError(err.message, USAGE[verb]);
    throw err;
  }
}

function requirePod(verb: Verb, s: Scanned, index = 0): string {
  const pod = s.positionals[index];
  if (pod === undefined) bad(verb, `${verb} needs a pod name, e.g. ${verb} mlserver-0 -n financial-ml`);
  return validatePodName(pod);
}

function parseCheck(s: Scanned, d?: ParseDefaults): CheckCommand {
  expectPositionals('check', s.positionals, 1, `the pod name`);
  const cmd: CheckCommand = { verb: 'check', pod: requirePod('check', s), namespace: namespaceOf(s, d) };
  const client = s.values.get('client');
  const server = s.values.get('server');
  const port = s.values.get('port');
  const debug = s.values.get('debug');
  if (client !== undefined) cmd.client = validateLabel(client, 'container name (--client)');
  if (server !== undefined) cmd.server = validateLabel(server, 'container name (--server)');
  if (port !== undefined) cmd.port = validatePort(port);
  if (debug !== undefined) cmd.debugContainerImage = validateImage(debug);
  if (s.booleans.has('evidence')) cmd.evidence = true;
  const cluster = clusterOf(s);
  if (cluster !== undefined) cmd.cluster = cluster;
  return cmd;
}

function parseLogs(s: Scanned, d?: ParseDefaults): LogsCommand {
  expectPositionals('logs', s.positionals, 1, 'the pod name');
  const cmd: LogsCommand = { verb: 'logs', pod: requirePod('logs', s), namespace: namespaceOf(s, d), previous: s.booleans.has('previous') };
  const container = s.values.get('container');
  const since = s.values.get('since');
  const grep = s.values.get('grep');
  if (container !== undefined) cmd.container = validateLabel(container, 'container name');
  if (since !== undefined) cmd.sinceSeconds = validateDuration(since, '--since', { min: LIMITS.sinceMin, max: LIMITS.sinceMax });
  if (grep !== undefined) cmd.grep = validateRegex(grep);
  const cluster = clusterOf(s);
  if (cluster !== undefined) cmd.cluster = cluster;
  return cmd;
}

function parseWatch(s: Scanned, d?: ParseDefaults): WatchCommand {
  if (s.positionals[0] === 'stop') {
    expectPositionals('watch', s.positionals, 2, 'watch stop POD');
    for (const k of ['every', 'for', 'cluster']) {
      if (s.values.has(k)) bad('watch', `--${k} does not apply to watch stop: write watch stop [POD] [-n NS]`);
    }
    const cmd: WatchStopCommand = { verb: 'watch', action: 'stop' };
    const pod = s.positionals[1];
    if (pod !== undefined) {
      cmd.pod = validatePodName(pod);
      cmd.namespace = namespaceOf(s, d);
    } else if (s.values.has('namespace')) {
      cmd.namespace = namespaceOf(s, d);
    }
    return cmd;
  }
  expectPositionals('watch', s.positionals, 1, 'the pod name');
  const pod = requirePod('watch', s);
  const every = s.values.get('every');
  const forText = s.values.get('for');
  const everySeconds =
    every === undefined ? WATCH_DEFAULTS.everySeconds : validateDuration(every, '--every', { min: LIMITS.everyMin, max: LIMITS.everyMax });
  const forSeconds =
    forText === undefined ? WATCH_DEFAULTS.forSeconds : validateDuration(forText, '--for', { min: LIMITS.forMin, max: LIMITS.forMax });
  if (forSeconds < everySeconds) {
    bad('watch', `--for ${formatDuration(forSeconds)} is shorter than --every ${formatDuration(everySeconds)}: the watch would never check twice`);
  }
  const cmd: WatchStartCommand = { verb: 'watch', action: 'start', pod, namespace: namespaceOf(s, d), everySeconds, forSeconds };
  const cluster = clusterOf(s);
  if (cluster !== undefined) cmd.cluster = cluster;
  return cmd;
}

function parseSweep(s: Scanned, d?: ParseDefaults): SweepCommand {
  expectPositionals('sweep', s.positionals, 0, 'sweep');
  const cmd: SweepCommand = { verb: 'sweep', namespace: namespaceOf(s, d) };
  const selector = s.values.get('selector');
  if (selector !== undefined) cmd.selector = validateSelector(selector);
  const cluster = clusterOf(s);
  if (cluster !== undefined) cmd.cluster = cluster;
  return cmd;
}

function parseIncident(tokens: Token[]): IncidentCommand {
  const action = tokens[0]?.text;
  const rest = tokens.slice(1);
  switch (action) {
    case 'open': {
      const title = rest
        .map((t) => t.text)
        .join(' ')
        .trim();
      if (title === '') bad('incident', 'incident open needs a title, e.g. incident open "agent cannot reach mlserver"');
      if (title.length > LIMITS.titleMax) bad('incident', `The incident title is ${title.length} characters; at most ${LIMITS.titleMax} are accepted`);
      return { verb: 'incident', action: 'open', title };
    }
    case 'summary':
    case 'close':
      if (rest.length > 0) bad('incident', `incident ${action} takes no arguments (got "${rest[0]?.text}")`);
      return { verb: 'incident', action };
    case undefined:
      return bad('incident', 'incident needs an action: open TITLE, summary or close');
    default:
      return bad('incident', `Unknown incident action "${action}"${suggest(action, ['open', 'summary', 'close'])}: use open TITLE, summary or close`);
  }
}

function parseRunbook(tokens: Token[], d?: ParseDefaults): RunbookCommand {
  const action = tokens[0]?.text;
  if (action === '--help' || action === '-h') throw new HelpRequest('runbook');
  const s = scan('runbook', tokens.slice(1));
  if (s.help) throw new HelpRequest('runbook');
  const noFlags = () => {
    if (s.values.size > 0) bad('runbook', `runbook ${action} takes no options`);
  };
  switch (action) {
    case 'list':
      noFlags();
      expectPositionals('runbook', s.positionals, 0, 'runbook list');
      return { verb: 'runbook', action: 'list' };
    case 'show': {
      noFlags();
      expectPositionals('runbook', s.positionals, 1, 'the runbook name');
      const name = s.positionals[0];
      if (name === undefined) bad('runbook', 'runbook show needs a runbook name (see runbook list)');
      return { verb: 'runbook', action: 'show', name: validateRunbookName(name) };
    }
    case 'run': {
      expectPositionals('runbook', s.positionals, 2, 'the runbook name and pod');
      const name = s.positionals[0];
      if (name === undefined) bad('runbook', 'runbook run needs a runbook name and a pod, e.g. runbook run oom-triage mlserver-0 -n financial-ml');
      const pod = s.positionals[1];
      if (pod === undefined) bad('runbook', `runbook run ${name} needs a pod name, e.g. runbook run ${name} mlserver-0 -n financial-ml`);
      const cmd: RunbookCommand = {
        verb: 'runbook',
        action: 'run',
        name: validateRunbookName(name),
        pod: validatePodName(pod),
        namespace: namespaceOf(s, d),
      };
      const cluster = clusterOf(s);
      if (cluster !== undefined) cmd.cluster = cluster;
      return cmd;
    }
    case undefined:
      return bad('runbook', 'runbook needs an action: list, show NAME or run NAME POD');
    default:
      return bad('runbook', `Unknown runbook action "${action}"${suggest(action, ['list', 'show', 'run'])}: use list, show NAME or run NAME POD`);
  }
}

class HelpRequest {
  constructor(readonly topic: Verb) {}
}

/** Accepts the verb's own name, case-insensitively, and a leading `/podnet` or `podnet`. */
function stripPrefix(tokens: Token[]): Token[] {
  const first = tokens[0]?.text.toLowerCase();
  return first === '/podnet' || first === 'podnet' ? tokens.slice(1) : tokens;
}

/**
 * Parses and validates one command.
 *
 * @param text what the user typed after `/podnet` (or the CLI arguments joined); an empty
 *   text is a request for help.
 * @param defaults the namespace to use when `-n` is absent (the channel's); else `default`.
 * @throws BadInputError with a one-line message and `.usage` of the verb.
 */
export function parseCommand(text: string, defaults?: ParseDefaults): ParsedCommand {
  return parseTokens(stripPrefix(tokenize(text)), defaults);
}

/**
 * Parses a command already split into words by a shell (the CLI's argv, e.g.
 * `['check', 'mlserver-0', '-n', 'ml']`): each element is one word, never re-split.
 */
export function parseArgv(argv: readonly string[], defaults?: ParseDefaults): ParsedCommand {
  return parseTokens(
    argv.map((text) => ({ text, quoted: false })),
    defaults,
  );
}

function parseTokens(tokens: Token[], defaults?: ParseDefaults): ParsedCommand {
  const head = tokens[0];
  if (head === undefined) return { verb: 'help' };
  const verbText = head.text.toLowerCase();
  if (!(VERBS as readonly string[]).includes(verbText)) {
    if (verbText === '--help' || verbText === '-h') return { verb: 'help' };
    throw new BadInputError(
      `Unknown command "${head.text}"${suggest(verbText, VERBS)}: use one of ${VERBS.join(', ')}`,
      HELP_TEXT,
    );
  }
  const verb = verbText as Verb;
  const rest = tokens.slice(1);
  try {
    return withUsage(verb, () => parseVerb(verb, rest, defaults));
  } catch (err) {
    if (err instanceof HelpRequest) return { verb: 'help', topic: err.topic };
    throw err;
  }
}

function parseVerb(verb: Verb, rest: Token[], defaults?: ParseDefaults): ParsedCommand {
  switch (verb) {
    case 'help': {
      const topic = rest[0]?.text.toLowerCase();
      if (topic === undefined) return { verb: 'help' };
      if (!(VERBS as readonly string[]).includes(topic)) {
        bad('help', `No help for "${rest[0]?.text}"${suggest(topic, VERBS)}: ask about one of ${VERBS.join(', ')}`);
      }
      return { verb: 'help', topic: topic as Verb };
    }
    case 'incident':
      if (rest[0] !== undefined && !rest[0].quoted && (rest[0].text === '--help' || rest[0].text === '-h')) throw new HelpRequest('incident');
      return parseIncident(rest);
    case 'runbook':
      return parseRunbook(rest, defaults);
    default: {
      const s = scan(verb, rest);
      if (s.help) throw new HelpRequest(verb);
      switch (verb) {
        case 'check':
          return parseCheck(s, defaults);
        case 'logs':
          return parseLogs(s, defaults);
        case 'watch':
          return parseWatch(s, defaults);
        case 'sweep':
          return parseSweep(s, defaults);
        case 'clusters':
          expectPositionals('clusters', s.positionals, 0, 'clusters');
          return { verb: 'clusters' };
      }
    }
  }
}

/** True when running the command changes something in the cluster (needs intrusive permission). */
export function isIntrusive(cmd: ParsedCommand): boolean {
  return cmd.verb === 'check' && cmd.debugContainerImage !== undefined;
}

/** The namespace a command touches, if any (what authorization checks). */
export function commandNamespace(cmd: ParsedCommand): string | undefined {
  return 'namespace' in cmd ? cmd.namespace : undefined;
}

function quote(text: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(text) ? text : `"${text.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Canonical text of a command; `parseCommand(formatCommand(c))` gives back `c`. Used for
 * button values, audit lines and "queued" messages.
 */
export function formatCommand(cmd: ParsedCommand): string {
  const parts: string[] = [cmd.verb];
  const ns = (n: string | undefined) => {
    if (n !== undefined) parts.push('-n', n);
  };
  const opt = (flag: string, v: string | number | undefined) => {
    if (v !== undefined) parts.push(flag, quote(String(v)));
  };
  switch (cmd.verb) {
    case 'check':
      parts.push(cmd.pod);
      ns(cmd.namespace);
      opt('--client', cmd.client);
      opt('--server', cmd.server);
      opt('--port', cmd.port);
      opt('--debug-container', cmd.debugContainerImage);
      if (cmd.evidence) parts.push('--evidence');
      opt('--cluster', cmd.cluster);
      break;
    case 'logs':
      parts.push(cmd.pod);
      ns(cmd.namespace);
      opt('-c', cmd.container);
      if (cmd.previous) parts.push('--previous');
      opt('--since', cmd.sinceSeconds === undefined ? undefined : formatDuration(cmd.sinceSeconds));
      opt('--grep', cmd.grep);
      opt('--cluster', cmd.cluster);
      break;
    case 'watch':
      if (cmd.action === 'stop') {
        parts.push('stop');
        if (cmd.pod !== undefined) parts.push(cmd.pod);
        ns(cmd.namespace);
      } else {
        parts.push(cmd.pod);
        ns(cmd.namespace);
        parts.push('--every', formatDuration(cmd.everySeconds), '--for', formatDuration(cmd.forSeconds));
        opt('--cluster', cmd.cluster);
      }
      break;
    case 'sweep':
      ns(cmd.namespace);
      opt('-l', cmd.selector);
      opt('--cluster', cmd.cluster);
      break;
    case 'incident':
      parts.push(cmd.action);
      if (cmd.action === 'open') parts.push(quote(cmd.title));
      break;
    case 'runbook':
      parts.push(cmd.action);
      if (cmd.action === 'show') parts.push(cmd.name);
      if (cmd.action === 'run') {
        parts.push(cmd.name, cmd.pod);
        ns(cmd.namespace);
        opt('--cluster', cmd.cluster);
      }
      break;
    case 'clusters':
      break;
    case 'help':
      if (cmd.topic !== undefined) parts.push(cmd.topic);
      break;
  }
  return parts.join(' ');
}

/** A short human description: "check of mlserver-0 in financial-ml". */
export function describeCommand(cmd: ParsedCommand): string {
  switch (cmd.verb) {
    case 'check':
      return `check of ${cmd.pod} in ${cmd.namespace}${cmd.debugContainerImage ? ` (debug container ${cmd.debugContainerImage})` : ''}`;
    case 'logs':
      return `logs of ${cmd.pod}${cmd.container ? `/${cmd.container}` : ''} in ${cmd.namespace}${cmd.previous ? ' (previous)' : ''}`;
    case 'watch':
      return cmd.action === 'stop'
        ? `stop of ${cmd.pod ? `the watch on ${cmd.pod}` : "this channel's watches"}`
        : `watch of ${cmd.pod} in ${cmd.namespace} every ${formatDuration(cmd.everySeconds)} for ${formatDuration(cmd.forSeconds)}`;
    case 'sweep':
      return `sweep of ${cmd.namespace}${cmd.selector ? ` (${cmd.selector})` : ''}`;
    case 'incident':
      return cmd.action === 'open' ? `incident "${cmd.title}"` : `incident ${cmd.action}`;
    case 'runbook':
      return cmd.action === 'run' ? `runbook ${cmd.name} on ${cmd.pod} in ${cmd.namespace}` : cmd.action === 'show' ? `runbook ${cmd.name}` : 'runbook list';
    case 'clusters':
      return 'clusters list';
    case 'help':
      return 'help';
  }
}
