/**
 * `podnet logs POD [-n NS] [-c CONTAINER] [--previous] [--since 10m] [--tail N] [--grep RE]
 * [--scenario FILE | --kubeconfig F --context C] [--output text|json]` — reads one container's
 * log, bounded, scans it for known signatures as it streams, masks secrets, and prints the
 * signature lines and the tail (text) or the LogEvidence (json).
 */
import { parseArgs } from 'node:util';
import type { ClusterAccess } from '../cluster/types.js';
import { validateDuration, validateLabel, validatePodName, validateRegex } from '../commands/validate.js';
import { describeError, PodnetError } from '../errors.js';
import { EXIT, exitCodeFor } from './exit.js';
import type { SignatureId } from '../evidence.js';
import { compileGrep } from '../logscan/grep.js';
import { scanLog, type LogScanResult } from '../logscan/scan.js';
import { LAB_ARG_OPTIONS, labOptionsFrom } from '../lab/cli.js';
import type { LabOptions } from '../lab/lab.js';

export const USAGE = `Usage: podnet logs POD [-n NS] [-c CONTAINER] [--previous] [--since 10m] [--tail N] [--grep RE]
                  [--scenario FILE [--lab] | --kubeconfig FILE --context NAME] [--output text|json]

Reads one container's log (bounded), scans it for known signatures (refusals, Seldon agent
readiness, MLServer binds, tracebacks, OOM, bind errors, mesh proxies), masks secrets, and
prints the matching lines and the last lines.

Options:
  -n, --namespace NS     namespace (default: default)
  -c, --container NAME   container (default: the pod's default-container annotation, or its only container)
  -p, --previous         the previous (crashed or restarted) run of the container
  --since DURATION       only lines newer than this, e.g. 30s, 10m, 1h (at most 7 days)
  --tail N               only the last N lines (default ${'10000'}, at most 1000000)
  --grep RE              also print lines matching this regular expression
  --scenario FILE        read from a scenario file (podnet sim) instead of a cluster
  --lab                  with --scenario: build the scenario's pods as real network namespaces
                         (logs come from the file either way; see podnet check --help)
  --kubeconfig FILE      kubeconfig (default: $KUBECONFIG, then ~/.kube/config)
  --context NAME         kubeconfig context (default: its current context)
  -o, --output FORMAT    text (default) or json
  -h, --help             show this help`;

/** Lines read when `--tail` is not given. */
export const DEFAULT_TAIL = 10_000;
const MAX_TAIL = 1_000_000;
/** Bytes read at most (limitBytes on the API, and again while scanning). */
export const MAX_LOG_BYTES = 16 * 1024 * 1024;
/** Time budget of one read and scan: past it the read is cancelled and the user told so. */
export const LOG_BUDGET_MS = 120_000;
/** Last lines shown in text output. */
const TAIL_SHOWN = 20;

/** Parsed `podnet logs` arguments. */
export interface LogsArgs {
  pod: string;
  namespace: string;
  container?: string;
  previous: boolean;
  sinceSeconds?: number;
  tail: number;
  grep?: string;
  scenario?: string;
  /** With scenario: build it in a lab (real network namespaces). */
  lab?: LabOptions;
  kubeconfig?: string;
  context?: string;
  output: 'text' | 'json';
}

function bad(message: string): never {
  throw new PodnetError('bad-input', message);
}

/** Parses argv; throws PodnetError('bad-input') with a one-line reason. `undefined` = help asked. */
export function parseLogsArgs(argv: string[]): LogsArgs | undefined {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; strict: true; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    // node:util's messages are close to right; drop its advice about `--` (not ours to give).
    // (Read .message directly: the error may come from another realm, e.g. under jest's vm.)
    const message = typeof (err as { message?: unknown })?.message === 'string' ? (err as Error).message : describeError(err);
    bad(message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '').replace(/^Unknown option/, 'unknown option'));
  }
  const { values, positionals } = parsed;
  if (values.help) return undefined;
  if (positionals.length === 0) bad('POD is required, e.g. podnet logs mlserver-0 -n financial-ml');
  if (positionals.length > 1) bad(`one POD at a time (got ${positionals.map((p) => `"${p}"`).join(', ')})`);
  const pod = validatePodName(positionals[0]!);
  const namespace = validateLabel(values.namespace ?? 'default', 'namespace');
  const container = values.container === undefined ? undefined : validateLabel(values.container, 'container name');
  const sinceSeconds = values.since === undefined ? undefined : validateDuration(values.since, '--since', { min: 1, max: 7 * 24 * 3600 });
  let tail = DEFAULT_TAIL;
  if (values.tail !== undefined) {
    if (!/^\d+$/.test(values.tail) || Number(values.tail) < 1 || Number(values.tail) > MAX_TAIL) {
      bad(`--tail must be a number of lines from 1 to ${MAX_TAIL} (got "${values.tail}")`);
    }
    tail = Number(values.tail);
  }
  const grep = values.grep === undefined ? undefined : validateRegex(values.grep);
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json') bad(`--output must be text or json (got "${output}")`);
  if (values.scenario !== undefined && (values.kubeconfig !== undefined || values.context !== undefined)) {
    bad('--scenario reads a scenario file; it cannot be combined with --kubeconfig or --context');
  }
  const args: LogsArgs = { pod, namespace, previous: values.previous ?? false, tail, output };
  if (container !== undefined) args.container = container;
  if (sinceSeconds !== undefined) args.sinceSeconds = sinceSeconds;
  if (grep !== undefined) args.grep = grep;
  if (values.scenario !== undefined) args.scenario = values.scenario;
  const lab = labOptionsFrom(values, values.scenario);
  if (lab) args.lab = lab;
  if (values.kubeconfig !== undefined) args.kubeconfig = values.kubeconfig;
  if (values.context !== undefined) args.context = values.context;
  return args;
}

const OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  container: { type: 'string', short: 'c' },
  previous: { type: 'boolean', short: 'p' },
  since: { type: 'string' },
  tail: { type: 'string' },
  grep: { type: 'string' },
  scenario: { type: 'string' },
  ...LAB_ARG_OPTIONS,
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Which container to read when `-c` was not given: kubectl's rule, but never a silent guess. */
export function pickContainer(
  pod: { metadata?: { annotations?: Record<string, string> }; spec?: { containers?: { name: string }[] } },
  podName: string,
): string {
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  const annotated = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated && names.includes(annotated)) return annotated;
  if (names.length === 1) return names[0]!;
  return bad(`pod ${podName} has ${names.length} containers (${names.join(', ')}); choose one with -c, e.g. -c ${names[0] ?? 'NAME'}`);
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Text output: what was read, the signatures found (with counts), grep lines, the tail. */
export function renderLogsText(target: { namespace: string; pod: string }, r: LogScanResult, options: { tailShown?: number } = {}): string {
  const out: string[] = [];
  const run = r.previous ? 'previous run' : 'current run';
  const span = r.firstAt && r.lastAt ? `, ${r.firstAt} … ${r.lastAt}` : '';
  out.push(`${target.namespace}/${target.pod} container ${r.container} (${run}): ${r.lines} lines, ${formatBytes(r.bytes)}${span}${r.truncated ? ' — cut at the bound, older lines not read' : ''}`);
  const counts = Object.entries(r.signatureCounts ?? {}) as [SignatureId, number][];
  if (counts.length === 0) {
    out.push('', 'No known signature in this log.');
  } else {
    out.push('', `Signatures: ${counts.map(([id, n]) => `${id} ×${n}`).join(', ')}`);
    // One output line per log line, however many signatures it matched.
    for (let i = 0; i < r.matches.length; ) {
      const m = r.matches[i]!;
      const same: string[] = [];
      for (; i < r.matches.length && r.matches[i]!.line === m.line && r.matches[i]!.at === m.at; i++) {
        const g = r.matches[i]!.groups;
        const where = g?.host !== undefined && g.port !== undefined ? ` ${g.host}:${g.port}` : '';
        same.push(`${r.matches[i]!.signature}${where}`);
      }
      out.push(`  ${m.at ?? '-'}  [${same.join(', ')}] ${m.line}`);
    }
    const kept = r.matches.length;
    const total = counts.reduce((a, [, n]) => a + n, 0);
    if (kept < total) out.push(`  (${total - kept} more matches not shown: the first and last per signature are kept)`);
  }
  if (r.grepLines !== undefined) {
    out.push('', `Lines matching --grep: ${r.grepCount ?? r.grepLines.length}`);
    for (const l of r.grepLines) out.push(`  ${l.at ?? '-'}  ${l.text}`);
    if ((r.grepCount ?? 0) > r.grepLines.length) out.push(`  (${(r.grepCount ?? 0) - r.grepLines.length} more not shown)`);
  }
  const shown = r.tail.slice(-(options.tailShown ?? TAIL_SHOWN));
  if (shown.length > 0) {
    out.push('', `Last ${shown.length} line${shown.length === 1 ? '' : 's'}:`);
    for (const l of shown) out.push(`  ${l.at ?? '-'}  ${l.text}`);
  }
  return out.join('\n');
}

/** Reads and scans the log the arguments name. */
export async function collectLog(cluster: ClusterAccess, args: LogsArgs): Promise<LogScanResult> {
  const container = args.container ?? pickContainer(await cluster.getPod(args.namespace, args.pod), args.pod);
  const stream = await cluster.streamLog(args.namespace, args.pod, {
    container,
    previous: args.previous,
    timestamps: true,
    tailLines: args.tail,
    limitBytes: MAX_LOG_BYTES,
    ...(args.sinceSeconds !== undefined ? { sinceSeconds: args.sinceSeconds } : {}),
  });
  return scanLog(stream, {
    container,
    previous: args.previous,
    maxLines: args.tail,
    maxBytes: MAX_LOG_BYTES,
    tailLines: TAIL_SHOWN,
    ...(args.grep !== undefined ? { grep: compileGrep(args.grep) } : {}),
    deadline: Date.now() + LOG_BUDGET_MS,
  });
}

/** Exit code for a failure: as every subcommand's, but a missing pod is a plain failure (1) here. */
function logsExitCode(err: unknown): number {
  const code = exitCodeFor(err);
  return code === EXIT.notFound ? EXIT.failure : code;
}

export async function main(argv: string[]): Promise<number> {
  let args: LogsArgs | undefined;
  try {
    args = parseLogsArgs(argv);
  } catch (err) {
    console.error(`podnet logs: ${describeError(err)}\n\n${USAGE}`);
    return 2;
  }
  if (!args) {
    console.log(USAGE);
    return 0;
  }

  // Loaded here, not at the top: `podnet logs --help` and bad flags need no cluster client.
  const { createClusterAccess } = await import('../cluster/client.js');
  const { kubeBudgetFromEnv } = await import('../config.js');
  let close: (() => Promise<void>) | undefined;
  try {
    let cluster: ClusterAccess;
    if (args.scenario !== undefined) {
      const { startSimulator } = await import('../sim/server.js');
      const sim = await startSimulator({ scenario: args.scenario, port: 0, ...(args.lab ? { lab: args.lab } : {}) });
      close = () => sim.close();
      cluster = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml() });
    } else {
      cluster = createClusterAccess({
        ...kubeBudgetFromEnv(),
        ...(args.kubeconfig !== undefined ? { kubeconfigPath: args.kubeconfig } : {}),
        ...(args.context !== undefined ? { context: args.context } : {}),
      });
    }
    const result = await collectLog(cluster, args);
    if (args.output === 'json') console.log(JSON.stringify(result, null, 2));
    else console.log(renderLogsText({ namespace: args.namespace, pod: args.pod }, result));
    return 0;
  } catch (err) {
    let message = describeError(err);
    if (args.previous && /previous terminated container/.test(message)) {
      // The API's 400 is accurate but reads like a failure of podnet; say what it means.
      message = `${message} — the container has not restarted, so there is no previous run; drop --previous`;
    }
    console.error(`podnet logs: ${message}`);
    if (process.env.PODNET_DEBUG) console.error(err);
    return logsExitCode(err);
  } finally {
    await close?.();
  }
}
