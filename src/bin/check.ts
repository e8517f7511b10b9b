/**
 * `podnet check POD …` — the whole diagnosis in the terminal: probes → analysis → render,
 * in-process, with no queue and no Slack. With `--scenario FILE` it starts the simulator
 * in-process and checks the scenario's cluster.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { diagnose } from '../analysis/diagnose.js';
import { createClusterAccess } from '../cluster/client.js';
import { kubeBudgetFromEnv } from '../config.js';
import { validateImage, validateLabel, validatePodName, validatePort } from '../commands/validate.js';
import { BadInputError, describeError } from '../errors.js';
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
import { LAB_ARG_OPTIONS, LAB_USAGE, labOptionsFrom } from '../lab/cli.js';
import type { LabOptions } from '../lab/lab.js';

export const USAGE = `Usage: podnet check POD [-n NAMESPACE] [--client C] [--server S] [--port P]
                    [--scenario FILE | --kubeconfig FILE [--context NAME] | --in-cluster]
                    [--output text|markdown|json] [--debug-container IMAGE] [--evidence OUT]
                    [--timeline-png OUT] [--timeline-svg OUT]
                    [--lab [--lab-tools SPEC]]

Diagnoses why one container of POD cannot reach another: reads the pod, its events and
logs, the node, policies and services, the listening sockets and a dial from inside the
pod, and prints the ranked causes with evidence and fixes.

Options:
  -n, --namespace NS        namespace of the pod (default: default)
  --client C                container that dials (default: inferred; Seldon: agent)
  --server S                container that should answer (default: inferred; Seldon: mlserver)
  --port P                  port the client dials (default: inferred; Seldon: 9500)
  --scenario FILE           check a simulated cluster (scenario YAML) instead of a real one
  --kubeconfig FILE         kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config)
  --context NAME            kubeconfig context (default: its current-context)
  --in-cluster              use the pod's service account
  -o, --output FORMAT       text (default), markdown or json
  --debug-container IMAGE   when no container can dial, attach an ephemeral container with
                            IMAGE (e.g. busybox:1.36) and dial from it (changes the pod spec)
  --evidence OUT            also write the collected evidence as JSON to OUT
                            (re-analyse later with \`podnet analyze OUT\`)
  --timeline-png OUT        also draw the incident timeline (containers, kubelet, refusals,
                            podnet's dials, on the cluster's clock) as a PNG to OUT
  --timeline-svg OUT        the same chart as SVG to OUT
${LAB_USAGE}
  -h, --help                show this help

Exit codes:
  0  a diagnosis was made (whatever it found)
  1  the check failed for another reason (e.g. RBAC forbids reading the pod)
  2  bad input (a name that is not valid, an unknown flag, a bad port or file)
  3  the Kubernetes API cannot be reached (or timed out)
  4  the pod does not exist`;

export type OutputFormat = 'text' | 'markdown' | 'json';

export interface CheckArgs {
  request: CheckRequest;
  output: OutputFormat;
  scenario?: string;
  kubeconfig?: string;
  context?: string;
  inCluster: boolean;
  evidenceOut?: string;
  timelinePngOut?: string;
  timelineSvgOut?: string;
  /** With --scenario: run the scenario in a lab (real network namespaces). */
  lab?: LabOptions;
  help: boolean;
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

const OUTPUTS: readonly OutputFormat[] = ['text', 'markdown', 'json'];

/** Parses and validates `podnet check` arguments; throws {@link BadInputError} with a one-line reason. */
export function parseCheckArgs(argv: string[]): CheckArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        namespace: { type: 'string', short: 'n' },
        client: { type: 'string' },
        server: { type: 'string' },
        port: { type: 'string' },
        scenario: { type: 'string' },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        'in-cluster': { type: 'boolean' },
        output: { type: 'string', short: 'o' },
        'debug-container': { type: 'string' },
        evidence: { type: 'string' },
        'timeline-png': { type: 'string' },
        'timeline-svg': { type: 'string' },
        ...LAB_ARG_OPTIONS,
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    // node:util says e.g. "Unknown option '--prot'. To specify a positional argument…"; keep the first sentence.
    throw new BadInputError(describeError(err).replace(/\. To specify.*$/, '').replace(/\.$/, ''));
  }
  const v = parsed.values;
  const help = v.help === true;
  const [pod, ...extra] = parsed.positionals;
  if (!help && pod === undefined) throw new BadInputError('missing POD: name the pod to check, e.g. `podnet check mlserver-0 -n financial-ml`');
  if (extra.length) throw new BadInputError(`unexpected argument "${extra[0]}": check takes one POD`);
  const output = (v.output ?? 'text') as OutputFormat;
  if (!OUTPUTS.includes(output)) throw new BadInputError(`--output must be one of ${OUTPUTS.join(', ')} (got "${v.output}")`);
  if (v.scenario && (v.kubeconfig || v.context || v['in-cluster'])) {
    throw new BadInputError('--scenario checks a simulated cluster: drop --kubeconfig/--context/--in-cluster, or drop --scenario');
  }
  if (v['in-cluster'] && (v.kubeconfig || v.context)) throw new BadInputError('--in-cluster uses the service account: drop --kubeconfig/--context');
  const request: CheckRequest = {
    namespace: validateLabel(v.namespace ?? 'default', 'namespace'),
    pod: help && pod === undefined ? '' : validatePodName(pod!),
  };
  if (v.client !== undefined) request.client = validateLabel(v.client, 'container name (--client)');
  if (v.server !== undefined) request.server = validateLabel(v.server, 'container name (--server)');
  if (v.port !== undefined) request.port = validatePort(v.port);
  if (v['debug-container'] !== undefined) request.debugContainerImage = validateImage(v['debug-container']);
  for (const [flag, value] of [['--scenario', v.scenario], ['--kubeconfig', v.kubeconfig], ['--evidence', v.evidence], ['--context', v.context], ['--timeline-png', v['timeline-png']], ['--timeline-svg', v['timeline-svg']]] as const) {
    if (value !== undefined && value.trim() === '') throw new BadInputError(`${flag} needs a value`);
  }
  const lab = labOptionsFrom(v, v.scenario);
  return {
    request,
    output,
    ...(lab ? { lab } : {}),
    scenario: v.scenario,
    kubeconfig: v.kubeconfig,
    context: v.context,
    inCluster: v['in-cluster'] === true,
    evidenceOut: v.evidence,
    timelinePngOut: v['timeline-png'],
    timelineSvgOut: v['timeline-svg'],
    help,
  };
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
  let args: CheckArgs;
  try {
    args = parseCheckArgs(argv);
  } catch (err) {
    io.stderr(`podnet check: ${describeError(err)}\n\n${USAGE}\n`);
    return EXIT.badInput;
  }
  if (args.help) {
    io.stdout(`${USAGE}\n`);
    return EXIT.ok;
  }
  const progress = io.stderrIsTTY ? (s: Step) => io.stderr(progressLine(s)) : undefined;
  let sim: RunningSimulator | undefined;
  try {
    let now: (() => Date) | undefined;
    let cluster;
    if (args.scenario) {
      // The scenario's `now` is the simulated cluster's clock: ages and restarts are relative to it.
      const scenario = loadScenario(args.scenario);
      const clusterNow = new Date(scenario.now);
      now = () => clusterNow;
      sim = await startSimulator({ scenario, port: 0, ...(args.lab ? { lab: args.lab } : {}) });
      if (progress) io.stderr(`podnet check: simulator for ${args.scenario} on ${sim.url}\n`);
      cluster = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml() });
    } else {
      cluster = createClusterAccess({ kubeconfigPath: args.kubeconfig, context: args.context, inCluster: args.inCluster, ...kubeBudgetFromEnv() });
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
