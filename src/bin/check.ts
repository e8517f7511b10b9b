/**
 * `podnet check POD …` — the whole diagnosis in the terminal: probes → analysis → render,
 * in-process, with no queue and no Slack. With `--scenario FILE` it starts the simulator
 * in-process and checks the scenario's cluster.
 */
import { writeFileSync } from 'node:fs';
import { diagnose } from '../analysis/diagnose.js';
import { createClusterAccess } from '../cluster/client.js';
import { kubeBudgetFromEnv } from '../config.js';
import type { CheckCommand } from '../commands/grammar.js';
import { cliHelpText, type CliHelpExtras } from '../commands/verbs/index.js';
import { describeError } from '../errors.js';
import { parseCliArgs, parseOrExit, type CliArgs, type ClusterSource } from './cli-args.js';
import { EXIT, exitCodeFor } from './exit.js';
import type { Diagnosis } from '../analysis/types.js';
import type { Evidence, Step } from '../evidence.js';
import { collectEvidence, type CheckRequest } from '../probes/collect.js';
import { attachRemediations } from '../remediation/apply.js';
import { renderJson } from '../render/json.js';
import { renderMarkdown } from '../render/markdown.js';
import { renderText } from '../render/text.js';
import { svgToPng } from '../render/chart-png.js';
import { renderTimelineSvg } from '../render/timeline-chart.js';
import { loadScenario } from '../sim/scenario.js';
import { startSimulator, type RunningSimulator } from '../sim/server.js';

/** What `podnet check --help` says besides the usage and options the spec gives. */
const HELP: CliHelpExtras = {
  about: `Diagnoses why one container of POD cannot reach another: reads the pod, its events and
logs, the node, policies and services, the listening sockets and a dial from inside the
pod, and prints the ranked causes with evidence and fixes.`,
  footer: `Exit codes:
  0  a diagnosis was made (whatever it found)
  1  the check failed for another reason (e.g. RBAC forbids reading the pod)
  2  bad input (a name that is not valid, an unknown flag, a bad port or file)
  3  the Kubernetes API cannot be reached (or timed out)
  4  the pod does not exist`,
};

/** `podnet check --help`: usage and options from the check's spec (src/commands/verbs/check.ts). */
export const USAGE = cliHelpText('check', HELP);

export type OutputFormat = 'text' | 'markdown' | 'json';

export interface CheckArgs {
  request: CheckRequest;
  output: OutputFormat;
  source: ClusterSource;
  /** `--evidence` (POD-evidence.json) or `--evidence-file FILE`: where to write the evidence. */
  evidenceOut?: string;
  timelinePngOut?: string;
  timelineSvgOut?: string;
}

/** Where the CLI writes; injectable so tests capture output without spawning a process. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: Record<string, string | undefined>;
}

export const processIo = (): CliIo => ({
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  stdoutIsTTY: process.stdout.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
  env: process.env,
});

const OUTPUTS = ['text', 'markdown', 'json'] as const satisfies readonly OutputFormat[];

/** What the probes need of a parsed check or fix: the target, and the debug image when given. */
export function checkRequestOf(c: Omit<CheckCommand, 'verb'>): CheckRequest {
  const { pod, namespace, client, server, port, debugContainerImage } = c;
  return {
    pod, namespace,
    ...(client !== undefined && { client }),
    ...(server !== undefined && { server }),
    ...(port !== undefined && { port }),
    ...(debugContainerImage !== undefined && { debugContainerImage }),
  };
}

/** The check's terminal arguments from what the grammar parsed. */
function checkArgsOf({ command: c, source, output, values }: CliArgs<CheckCommand, OutputFormat>): CheckArgs {
  const request = checkRequestOf(c);
  const evidenceOut = values.get('evidence-file') ?? (c.evidence ? `${c.pod}-evidence.json` : undefined);
  const png = values.get('timeline-png');
  const svg = values.get('timeline-svg');
  return { request, output, source, ...(evidenceOut !== undefined && { evidenceOut }), ...(png !== undefined && { timelinePngOut: png }), ...(svg !== undefined && { timelineSvgOut: svg }) };
}

/**
 * Parses and validates `podnet check` arguments through the shared grammar; `undefined` when
 * `--help` was asked. Throws {@link BadInputError} with a one-line reason.
 */
export function parseCheckArgs(argv: string[]): CheckArgs | undefined {
  const parsed = parseCliArgs('check', argv, OUTPUTS);
  return parsed && checkArgsOf(parsed);
}

function progressLine(step: Step): string {
  const ms = step.durationMs === undefined ? '' : ` (${step.durationMs} ms)`;
  return step.ok ? `  ✓ ${step.name}${ms}\n` : `  ✗ ${step.name}: ${step.error ?? step.code ?? 'failed'}\n`;
}

/** Writes the timeline chart files asked for; a failure is reported and the check goes on (like --evidence). */
async function writeTimeline(args: CheckArgs, d: Diagnosis, evidence: Evidence, io: CliIo): Promise<void> {
  let svg: string;
  try {
    svg = await renderTimelineSvg(d, evidence);
  } catch (err) {
    io.stderr(`podnet check: could not draw the timeline: ${describeError(err)}\n`);
    return;
  }
  const files: [string | undefined, () => string | Buffer][] = [
    [args.timelineSvgOut, () => svg],
    [args.timelinePngOut, () => svgToPng(svg)],
  ];
  for (const [path, content] of files) {
    if (!path) continue;
    try {
      writeFileSync(path, content());
    } catch (err) {
      io.stderr(`podnet check: cannot write the timeline to ${path}: ${describeError(err)}\n`);
    }
  }
}

/** Runs one check; returns the exit code. Never throws. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const parsed = parseOrExit('check', argv, OUTPUTS, io, HELP, checkArgsOf);
  if ('exit' in parsed) return parsed.exit;
  const { args } = parsed;
  const progress = io.stderrIsTTY ? (s: Step) => io.stderr(progressLine(s)) : undefined;
  let sim: RunningSimulator | undefined;
  try {
    let now: (() => Date) | undefined;
    let cluster;
    const { source } = args;
    if (source.scenario) {
      // The scenario's `now` is the simulated cluster's clock: ages and restarts are relative to it.
      const scenario = loadScenario(source.scenario);
      const clusterNow = new Date(scenario.now);
      now = () => clusterNow;
      sim = await startSimulator({ scenario, port: 0, ...(source.lab ? { lab: source.lab } : {}) });
      if (progress) io.stderr(`podnet check: simulator for ${source.scenario} on ${sim.url}\n`);
      cluster = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml() });
    } else {
      cluster = createClusterAccess({ kubeconfigPath: source.kubeconfig, context: source.context, inCluster: source.inCluster, ...kubeBudgetFromEnv() });
      if (progress) io.stderr(`podnet check: ${args.request.namespace}/${args.request.pod} via ${cluster.serverUrl}\n`);
    }
    const evidence = await collectEvidence(cluster, args.request, { now, onProgress: progress });
    if (args.evidenceOut) {
      try {
        writeFileSync(args.evidenceOut, `${JSON.stringify(evidence, null, 2)}\n`);
      } catch (err) {
        io.stderr(`podnet check: cannot write the evidence to ${args.evidenceOut}: ${describeError(err)}\n`);
      }
    }
    // The fix as a patch to the owning object, dry-run on the server (src/remediation).
    const d = await attachRemediations(cluster, diagnose(evidence, { now: new Date(evidence.clusterNow ?? evidence.collectedAt) }), evidence);
    const color = args.output === 'text' && io.stdoutIsTTY && !io.env.NO_COLOR;
    const rendered = args.output === 'json' ? renderJson(d) : args.output === 'markdown' ? renderMarkdown(d) : renderText(d, { color });
    io.stdout(rendered.endsWith('\n') ? rendered : `${rendered}\n`);
    if (args.timelinePngOut || args.timelineSvgOut) await writeTimeline(args, d, evidence, io);
    const podStep = evidence.steps.find((s) => s.name === 'get-pod');
    if (podStep && !podStep.ok) {
      io.stderr(`podnet check: could not read the pod: ${podStep.error}\n`);
      return EXIT.failure;
    }
    return EXIT.ok;
  } catch (err) {
    io.stderr(`podnet check: ${describeError(err)}\n`);
    if (io.env.PODNET_DEBUG) io.stderr(`${err instanceof Error ? err.stack : String(err)}\n`);
    return exitCodeFor(err);
  } finally {
    await sim?.close();
  }
}
