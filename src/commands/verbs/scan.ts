/**
 * The one scanner every verb's parser uses: separates options from positionals against the
 * verb's flag table (for the surface the command was typed on), and the small checks verbs
 * share. Errors are BadInputError without `.usage`; the registry adds the verb's usage.
 */
import { BadInputError } from '../../errors.js';
import type { Token } from '../tokenize.js';
import { validateLabel, validatePodName } from '../validate.js';
import type { FlagSpec, ParseDefaults, ParseInput, Surface } from './spec.js';

/** Options and positionals of one command. */
export interface Scanned {
  positionals: string[];
  /** Values of string flags, by key. */
  values: Map<string, string>;
  /** Switches given, by key. */
  booleans: Set<string>;
  /** A positional typed right after a switch (by its index): the switch, for "takes no value" messages. */
  afterSwitch: Map<number, { name: string; spec: FlagSpec }>;
  help: boolean;
}

/** Throws the one-line BadInputError verbs use. */
export function bad(message: string): never {
  throw new BadInputError(message);
}

/** Asked for help inside a verb (`check --help`): the registry answers with the verb's help. */
export class HelpRequest {
  constructor(readonly topic: string) {}
}

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

/** ` (did you mean "x"?)` when one candidate is close enough, else ''. */
export function suggest(word: string, candidates: readonly string[]): string {
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

/** Slack clients may turn `--` into an em or en dash; read those as the dashes typed. */
function normaliseDashes(word: string): string {
  return word.replace(/^[\u2014\u2013]/, '--').replace(/^\u2212/, '-');
}

function looksLikeFlag(token: Token): boolean {
  if (token.quoted) return false;
  const t = normaliseDashes(token.text);
  return t.startsWith('-') && t.length > 1 && !/^-\d/.test(t);
}

/** True for `-h` / `--help` typed as a word of its own. */
export function isHelpWord(token: Token | undefined): boolean {
  return token !== undefined && !token.quoted && (token.text === '--help' || token.text === '-h');
}

/** The flags a verb takes on one surface. */
export function flagsOn(flags: readonly FlagSpec[], surface: Surface): FlagSpec[] {
  return flags.filter((f) => f.surfaces.includes(surface));
}

function needsValue(name: string, spec: FlagSpec): never {
  return bad(`${name} needs a value: ${spec.valueName ?? 'a value'}, e.g. ${spec.example ?? `${name} VALUE`}`);
}

/** `-l app in (a, b)` typed without quotes: keep reading until the parentheses balance. */
function readSelector(tokens: Token[], i: number, value: string): { value: string; i: number } {
  const open = (s: string) => (s.match(/\(/g) ?? []).length - (s.match(/\)/g) ?? []).length;
  const next = (k: number) => tokens[i + k]?.text ?? '';
  while (
    i + 1 < tokens.length &&
    (open(value) > 0 || (/^(in|notin)$/.test(next(1)) && next(2).startsWith('(')) || (/\s(in|notin)$/.test(value) && next(1).startsWith('(')))
  ) {
    i += 1;
    value += ` ${(tokens[i] as Token).text}`;
  }
  return { value, i };
}

/** Separates options from positionals for one verb, checking each option against its table on `surface`. */
export function scan(verb: string, flags: readonly FlagSpec[], tokens: Token[], surface: Surface): Scanned {
  const specs = flagsOn(flags, surface);
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) for (const n of s.names) byName.set(n, s);
  const out: Scanned = { positionals: [], values: new Map(), booleans: new Set(), afterSwitch: new Map(), help: false };
  const seen = new Map<string, string>();
  let lastSwitch: { name: string; spec: FlagSpec } | undefined;

  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] as Token;
    const previousSwitch = lastSwitch;
    lastSwitch = undefined;
    if (!looksLikeFlag(token)) {
      if (previousSwitch) out.afterSwitch.set(out.positionals.length, previousSwitch);
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
      bad(`Unknown option "${name}" for ${verb}${suggest(name, valid)}: ${list}`);
    }
    const previous = seen.get(spec.key);
    if (previous !== undefined) bad(`${name} is given twice (already ${previous}): give it once`);
    seen.set(spec.key, name);

    if (spec.kind === 'boolean') {
      if (inline !== undefined) bad(`${name} takes no value (got "${inline}"): ${noValueAdvice(name, spec)}`);
      out.booleans.add(spec.key);
      lastSwitch = { name, spec };
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = tokens[i + 1];
      if (next === undefined || (looksLikeFlag(next) && byName.has(normaliseDashes(next.text).split('=')[0] as string))) needsValue(name, spec);
      value = next.text;
      i += 1;
    }
    if (spec.key === 'selector') ({ value, i } = readSelector(tokens, i, value));
    if (value === '') needsValue(name, spec);
    out.values.set(spec.key, value);
  }
  return out;
}

/** Scans the input for a verb; a `--help` anywhere becomes a help request. */
export function scanInput(verb: string, flags: readonly FlagSpec[], input: ParseInput): Scanned {
  const s = scan(verb, flags, input.tokens, input.surface);
  if (s.help) throw new HelpRequest(verb);
  return s;
}

/** What to write when a switch was given a value. */
function noValueAdvice(name: string, spec: FlagSpec): string {
  return spec.valueInstead !== undefined ? `write just ${name}, or ${spec.valueInstead}` : `write just ${name}`;
}

/** Refuses positionals past `max`; a word right after a switch is named as a value the switch does not take. */
export function expectPositionals(verb: string, s: Scanned, max: number, what: string): void {
  if (s.positionals.length <= max) return;
  const extra = s.positionals[max] as string;
  const after = s.afterSwitch.get(max);
  if (after) bad(`Unexpected "${extra}" after ${after.name}: ${after.name} takes no value; ${noValueAdvice(after.name, after.spec)}`);
  bad(`Unexpected "${extra}" after ${what}: ${verb} takes ${max === 0 ? 'no arguments' : `${max} argument${max === 1 ? '' : 's'}`} (quote values that contain spaces)`);
}

/** `-n`, else the channel's namespace, else `default`. */
export function namespaceOf(s: Scanned, defaults: ParseDefaults | undefined): string {
  const ns = s.values.get('namespace') ?? defaults?.namespace ?? 'default';
  return validateLabel(ns, 'namespace');
}

/** `--cluster`, validated, when given. */
export function clusterOf(s: Scanned): { cluster?: string } {
  const c = s.values.get('cluster');
  return c === undefined ? {} : { cluster: validateLabel(c, 'cluster name') };
}

/** The target of a verb that acts on one pod. */
export interface PodTarget {
  pod: string;
  namespace: string;
  /** `--cluster`, when given (Slack). */
  cluster?: string;
}

/**
 * The one pod a verb acts on: exactly one positional (the pod), `-n` (else the default
 * namespace) and `--cluster` when given, each validated.
 */
export function podTargetOf(verb: string, s: Scanned, defaults: ParseDefaults | undefined): PodTarget {
  expectPositionals(verb, s, 1, 'the pod name');
  return { pod: requirePod(verb, s), namespace: namespaceOf(s, defaults), ...clusterOf(s) };
}

/** The pod named at `index`, validated. */
export function requirePod(verb: string, s: Scanned, index = 0): string {
  const pod = s.positionals[index];
  if (pod === undefined) bad(`${verb} needs a pod name, e.g. ${verb} mlserver-0 -n financial-ml`);
  return validatePodName(pod);
}

function quote(text: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(text) ? text : `"${text.replace(/["\\]/g, '\\$&')}"`;
}

/** Builds canonical words: `flag value` pairs for values present, quoted when needed. */
export class Words {
  readonly parts: string[] = [];

  /** Adds bare words (pod names, actions), unquoted. */
  push(...words: string[]): this {
    this.parts.push(...words);
    return this;
  }

  /** Adds `flag value` when the value is present. */
  opt(flag: string, value: string | number | undefined): this {
    if (value !== undefined) this.parts.push(flag, quote(String(value)));
    return this;
  }

  /** Adds `flag` when on. */
  flag(flag: string, on: boolean | undefined): this {
    if (on) this.parts.push(flag);
    return this;
  }

  /** Adds a quoted free text (an incident title). */
  text(value: string): this {
    this.parts.push(quote(value));
    return this;
  }
}
