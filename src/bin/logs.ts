/**
 * `podnet logs POD …` (the flags: src/commands/verbs/logs.ts, shared with Slack) — reads one
 * container's log, bounded, scans it for known signatures as it streams, masks secrets, and prints the
 * signature lines and the tail (text) or the LogEvidence (json).
 */
import type { ClusterAccess } from '../cluster/types.js';
import type { LogsCommand } from '../commands/grammar.js';
import { cliHelpText, type CliHelpExtras } from '../commands/verbs/index.js';
import { TAIL_LIMITS } from '../commands/verbs/logs.js';
import { BadInputError, describeError } from '../errors.js';
import { parseCliArgs, parseOrExit, type CliArgs, type CliOut, type ClusterSource } from './cli-args.js';
import { EXIT, exitCodeFor } from './exit.js';
import type { SignatureId } from '../evidence.js';
import { compileGrep } from '../logscan/grep.js';
import { scanLog, type LogScanResult } from '../logscan/scan.js';

/** What `podnet logs --help` says besides the usage and options the spec gives. */
const HELP: CliHelpExtras = {
  about: `Reads one container's log (bounded), scans it for known signatures (refusals, Seldon agent
readiness, MLServer binds, tracebacks, OOM, bind errors, mesh proxies), masks secrets, and
prints the matching lines and the last lines. With --scenario the log comes from the file
(with --lab too).`,
};

/** `podnet logs --help`: usage and options from the logs spec (src/commands/verbs/logs.ts). */
export const USAGE = cliHelpText('logs', HELP);

/** Lines read when `--tail` is not given. */
export const DEFAULT_TAIL = TAIL_LIMITS.default;
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
  /** Where the cluster is (`--scenario`, `--kubeconfig`…). */
  source: ClusterSource;
  output: 'text' | 'json';
}

function bad(message: string): never {
  throw new BadInputError(message);
}

const OUTPUTS = ['text', 'json'] as const;

/** `--tail` (CLI only): a whole number of lines within {@link TAIL_LIMITS}. */
function tailOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TAIL;
  if (!/^\d+$/.test(text) || Number(text) < TAIL_LIMITS.min || Number(text) > TAIL_LIMITS.max) {
    bad(`--tail must be a number of lines from ${TAIL_LIMITS.min} to ${TAIL_LIMITS.max} (got "${text}"), e.g. --tail 500`);
  }
  return Number(text);
}

/** The logs arguments from what the grammar parsed. */
function logsArgsOf({ command: c, source, output, values }: CliArgs<LogsCommand, LogsArgs['output']>): LogsArgs {
  const args: LogsArgs = { pod: c.pod, namespace: c.namespace, previous: c.previous, tail: tailOf(values.get('tail')), source, output };
  if (c.container !== undefined) args.container = c.container;
  if (c.sinceSeconds !== undefined) args.sinceSeconds = c.sinceSeconds;
  if (c.grep !== undefined) args.grep = c.grep;
  return args;
}

/**
 * Parses argv through the shared grammar (the logs spec, CLI surface); throws
 * BadInputError with a one-line reason. `undefined` = help asked.
 */
export function parseLogsArgs(argv: string[]): LogsArgs | undefined {
  const parsed = parseCliArgs('logs', argv, OUTPUTS);
  return parsed && logsArgsOf(parsed);
}

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

/** `podnet logs` prints through the console (tests capture it there). */
const CONSOLE: CliOut = {
  stdout: (text) => console.log(text.replace(/\n$/, '')),
  stderr: (text) => console.error(text.replace(/\n$/, '')),
};

/** Runs `podnet logs`; returns the exit code. Never throws. */
export async function main(argv: string[]): Promise<number> {
  const parsed = parseOrExit('logs', argv, OUTPUTS, CONSOLE, HELP, logsArgsOf);
  if ('exit' in parsed) return parsed.exit;
  const { args } = parsed;

  // Loaded here, not at the top: `podnet logs --help` and bad flags need no cluster client.
  const { createClusterAccess } = await import('../cluster/client.js');
  const { kubeBudgetFromEnv } = await import('../config.js');
  let close: (() => Promise<void>) | undefined;
  try {
    let cluster: ClusterAccess;
    const { source } = args;
    if (source.scenario !== undefined) {
      const { startSimulator } = await import('../sim/server.js');
      const sim = await startSimulator({ scenario: source.scenario, port: 0, ...(source.lab ? { lab: source.lab } : {}) });
      close = () => sim.close();
      cluster = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml() });
    } else {
      cluster = createClusterAccess({
        ...kubeBudgetFromEnv(),
        ...(source.kubeconfig !== undefined ? { kubeconfigPath: source.kubeconfig } : {}),
        ...(source.context !== undefined ? { context: source.context } : {}),
        inCluster: source.inCluster,
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
