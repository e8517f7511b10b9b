/**
 * `podnet fix POD …` — the check, then the fix as a patch to the object that owns the setting
 * (validated by server-side dry-run), and with `--apply` applied (field manager `podnet`) and
 * verified: re-checks until the cause is gone and the server stayed up for the settle period.
 */
import { parseArgs } from 'node:util';
import { diagnose } from '../analysis/diagnose.js';
import { CAUSE_IDS, type CauseId, type Diagnosis } from '../analysis/types.js';
import { createClusterAccess, type KubeClusterAccess } from '../cluster/client.js';
import { kubeBudgetFromEnv } from '../config.js';
import type { ClusterAccess } from '../cluster/types.js';
import { validateDuration, validateLabel, validatePodName, validatePort } from '../commands/validate.js';
import { BadInputError, describeError } from '../errors.js';
import type { Evidence } from '../evidence.js';
import { collectEvidence, type CheckRequest } from '../probes/collect.js';
import { remediationText } from '../render/remediation.js';
import { applyRemediation, attachRemediations, successorPod, type AppliedChange } from '../remediation/apply.js';
import { isApplicable, type Remediation, type RemediationTarget } from '../remediation/types.js';
import { verifyFix, type VerifyCheck } from '../remediation/verify.js';
import { loadScenario } from '../sim/scenario.js';
import { startSimulator, type RunningSimulator } from '../sim/server.js';
import { LAB_ARG_OPTIONS, LAB_USAGE, labOptionsFrom } from '../lab/cli.js';
import type { LabOptions } from '../lab/lab.js';
import { processIo, type CliIo } from './check.js';
import { EXIT, exitCodeFor } from './exit.js';

export const USAGE = `Usage: podnet fix POD [-n NAMESPACE] [--client C] [--server S] [--port P]
                  [--cause ID] [--apply [--verify-for 5m] [--settle 60s] [--interval 5s]]
                  [--scenario FILE | --kubeconfig FILE [--context NAME] | --in-cluster]
                  [--output text|json] [--lab [--lab-tools SPEC]]

Checks POD, then shows the fix for the leading cause (or --cause) as a patch to the object
that owns the setting — found through ownerReferences (a Seldon pod's settings live in its
Server / ServerConfig, a Deployment's pods' in the Deployment) and validated by server-side
dry-run. With --apply, applies it (field manager podnet) and verifies: re-checks until the
cause is gone and the server has stayed up (no new restarts, ready, the client's dial
connects) for the settle period, or --verify-for passes. When it is not fixed, prints the
patch that restores the previous values.

Options:
  -n, --namespace NS   namespace of the pod (default: default)
  --cause ID           the cause whose fix to use (default: the leading cause)
  --apply              apply the validated patch, then verify
  --verify-for D       give up verifying after D (default 5m; 10s..1h)
  --settle D           how long every condition must hold (default 60s; with --scenario 3s,
                       since the simulated cluster does not drift on its own; 1s..30m)
  --interval D         pause between re-checks (default 5s; with --scenario 1s)
  --scenario FILE      a simulated cluster (scenario YAML) instead of a real one
${LAB_USAGE}
  --kubeconfig FILE    kubeconfig (default: $KUBECONFIG, then ~/.kube/config)
  --context NAME       kubeconfig context
  --in-cluster         use the pod's service account
  -o, --output FORMAT  text (default) or json
  -h, --help           show this help

Exit codes: 0 the fix was shown, or applied and verified; 1 no patch to apply, the apply was
refused, or the fix was not verified; 2 bad input; 3 the API cannot be reached; 4 no such pod.`;

export interface FixArgs {
  request: CheckRequest;
  cause?: CauseId;
  apply: boolean;
  verifyForMs: number;
  settleMs: number;
  intervalMs: number;
  output: 'text' | 'json';
  scenario?: string;
  /** With --scenario: run the scenario in a lab (real network namespaces). */
  lab?: LabOptions;
  kubeconfig?: string;
  context?: string;
  inCluster: boolean;
  help: boolean;
}

/** Parses `podnet fix` arguments; throws {@link BadInputError} saying what was wrong. */
export function parseFixArgs(argv: string[]): FixArgs {
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
        cause: { type: 'string' },
        apply: { type: 'boolean' },
        'verify-for': { type: 'string' },
        settle: { type: 'string' },
        interval: { type: 'string' },
        scenario: { type: 'string' },
        ...LAB_ARG_OPTIONS,
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        'in-cluster': { type: 'boolean' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new BadInputError(describeError(err).replace(/\. To specify.*$/, '').replace(/\.$/, ''));
  }
  const v = parsed.values;
  const help = v.help === true;
  const [pod, ...extra] = parsed.positionals;
  if (!help && pod === undefined) throw new BadInputError('missing POD: name the pod, e.g. `podnet fix mlserver-0 -n financial-ml`');
  if (extra.length) throw new BadInputError(`unexpected argument "${extra[0]}": fix takes one POD`);
  const output = v.output ?? 'text';
  if (output !== 'text' && output !== 'json') throw new BadInputError(`--output must be text or json (got "${output}")`);
  if (v.scenario && (v.kubeconfig || v.context || v['in-cluster'])) throw new BadInputError('--scenario uses a simulated cluster: drop --kubeconfig/--context/--in-cluster, or drop --scenario');
  if (v.cause !== undefined && !(CAUSE_IDS as readonly string[]).includes(v.cause)) throw new BadInputError(`--cause must be a cause id such as probe-bind-mismatch (got "${v.cause}")`);
  for (const f of ['verify-for', 'settle', 'interval'] as const) if (v[f] !== undefined && !v.apply) throw new BadInputError(`--${f} only applies with --apply`);
  const sim = v.scenario !== undefined;
  const request: CheckRequest = { namespace: validateLabel(v.namespace ?? 'default', 'namespace'), pod: help && pod === undefined ? '' : validatePodName(pod!) };
  if (v.client !== undefined) request.client = validateLabel(v.client, 'container name (--client)');
  if (v.server !== undefined) request.server = validateLabel(v.server, 'container name (--server)');
  if (v.port !== undefined) request.port = validatePort(v.port);
  const lab = labOptionsFrom(v, v.scenario);
  return {
    request,
    ...(lab ? { lab } : {}),
    ...(v.cause ? { cause: v.cause as CauseId } : {}),
    apply: v.apply === true,
    verifyForMs: validateDuration(v['verify-for'] ?? '5m', '--verify-for', { min: 10, max: 3600 }) * 1000,
    settleMs: validateDuration(v.settle ?? (sim ? '3s' : '60s'), '--settle', { min: 1, max: 1800 }) * 1000,
    intervalMs: validateDuration(v.interval ?? (sim ? '1s' : '5s'), '--interval', { min: 1, max: 300 }) * 1000,
    output,
    scenario: v.scenario,
    kubeconfig: v.kubeconfig,
    context: v.context,
    inCluster: v['in-cluster'] === true,
    help,
  };
}

/** The JSON `podnet fix --output json` prints. */
export interface FixReport {
  target: { namespace: string; pod: string };
  cause: string;
  fix: string;
  remediation: Remediation | null;
  applied: boolean;
  /** What the apply changed and the patch that restores the previous values. */
  change?: AppliedChange;
  verified: boolean;
  checks: VerifyCheck[];
  summary: string;
}

/**
 * One check: evidence and diagnosis, following the pod to its replacement — through `owner`
 * (the patched workload) when given, since a Deployment's new pod has a new name.
 */
export async function checkPod(cluster: ClusterAccess, request: CheckRequest, labels: Record<string, string>, now?: () => Date, owner?: RemediationTarget): Promise<{ evidence: Evidence; diagnosis: Diagnosis }> {
  const pod = await successorPod(cluster, request.namespace, request.pod, labels, owner);
  const evidence = await collectEvidence(cluster, { ...request, pod }, { now });
  const diagnosis = diagnose(evidence, { now: new Date(evidence.clusterNow ?? evidence.collectedAt) });
  return { evidence, diagnosis };
}

function textReport(r: FixReport): string {
  const out = [`podnet fix: ${r.target.pod} (${r.target.namespace}) — ${r.cause}`, `Fix: ${r.fix}`];
  if (r.remediation) out.push(...remediationText(r.remediation).map((l, i) => (i === 0 ? `Remediation: ${l}` : `  ${l}`)));
  if (r.change) {
    out.push(`Applied to ${r.change.target.kind} ${r.change.target.name} (field manager podnet)`);
    for (const c of r.checks) out.push(`  ${c.ok ? '✓' : '✗'} ${c.at} leading: ${c.leading}${c.restarts !== undefined ? ` restarts: ${c.restarts}` : ''}${c.dial ? ` · ${c.dial}` : ''}${c.failing.length ? ` — ${c.failing.join('; ')}` : ''}`);
  }
  out.push(r.summary);
  if (r.change && !r.verified) out.push(`Roll back: kubectl${r.change.target.namespace ? ` -n ${r.change.target.namespace}` : ''} patch ${r.change.target.kind.toLowerCase()}/${r.change.target.name} --type=json -p '${JSON.stringify(r.change.rollback.patch).replace(/'/g, `'\\''`)}'`);
  return `${out.join('\n')}\n`;
}

/** Runs `podnet fix`; returns the exit code. Never throws. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let args: FixArgs;
  try {
    args = parseFixArgs(argv);
  } catch (err) {
    io.stderr(`podnet fix: ${describeError(err)}\n\n${USAGE}\n`);
    return EXIT.badInput;
  }
  if (args.help) {
    io.stdout(`${USAGE}\n`);
    return EXIT.ok;
  }
  let sim: RunningSimulator | undefined;
  const progress = io.stderrIsTTY ? (s: string) => io.stderr(`${s}\n`) : () => undefined;
  try {
    let cluster: KubeClusterAccess;
    let now: (() => Date) | undefined;
    if (args.scenario) {
      const scenario = loadScenario(args.scenario);
      const clusterNow = new Date(scenario.now);
      now = () => clusterNow;
      sim = await startSimulator({ scenario, port: 0, ...(args.lab ? { lab: args.lab } : {}) });
      cluster = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml() });
    } else {
      cluster = createClusterAccess({ kubeconfigPath: args.kubeconfig, context: args.context, inCluster: args.inCluster, ...kubeBudgetFromEnv() });
    }
    const labels = (await cluster.getPod(args.request.namespace, args.request.pod)).metadata?.labels ?? {};
    const first = await checkPod(cluster, args.request, labels, now);
    const diagnosis = await attachRemediations(cluster, first.diagnosis, first.evidence);
    const h = args.cause ? diagnosis.hypotheses.find((x) => x.cause === args.cause) : diagnosis.hypotheses[0];
    const report: FixReport = {
      target: { namespace: args.request.namespace, pod: args.request.pod },
      cause: h?.cause ?? args.cause ?? 'unknown',
      fix: h?.fix ?? `${args.cause} is not among the causes this check found (${diagnosis.hypotheses.map((x) => x.cause).join(', ')})`,
      remediation: h?.remediation ?? null,
      applied: false,
      verified: false,
      checks: [],
      summary: '',
    };
    let code = 0;
    if (!args.apply) {
      report.summary = isApplicable(h?.remediation) ? 'A validated patch is ready: run again with --apply to apply and verify it.' : h?.remediation?.manual ? 'No patch to apply: the fix needs a person (see above).' : 'No validated patch for this cause.';
    } else if (!h || !isApplicable(h.remediation)) {
      report.summary = `Nothing applied: ${h?.remediation?.manual ?? h?.remediation?.dryRun?.message ?? 'no validated patch for this cause'}.`;
      code = 1;
    } else {
      try {
        report.change = await applyRemediation(cluster, h.remediation);
        report.applied = true;
        progress(`podnet fix: applied to ${h.remediation.target.kind} ${h.remediation.target.name}; verifying…`);
      } catch (err) {
        report.summary = `The apply was refused: ${describeError(err)}.`;
        code = 1;
      }
      if (report.applied) {
        const cause = h.cause;
        const owner = h.remediation.target;
        const result = await verifyFix({
          cause,
          check: () => checkPod(cluster, args.request, labels, now, owner),
          settleMs: args.settleMs,
          deadlineMs: args.verifyForMs,
          intervalMs: args.intervalMs,
          onCheck: (c) => progress(`  ${c.ok ? '✓' : '✗'} ${c.leading}${c.failing.length ? ` — ${c.failing.join('; ')}` : ''}`),
        });
        report.verified = result.verified;
        report.checks = result.checks;
        report.summary = result.summary;
        if (!result.verified) code = 1;
      }
    }
    io.stdout(args.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : textReport(report));
    return code;
  } catch (err) {
    io.stderr(`podnet fix: ${describeError(err)}\n`);
    if (io.env.PODNET_DEBUG) io.stderr(`${err instanceof Error ? err.stack : String(err)}\n`);
    return exitCodeFor(err);
  } finally {
    await sim?.close();
  }
}
