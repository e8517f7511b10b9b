/**
 * `podnet fix POD …` — the check, then the fix as a patch to the object that owns the setting
 * (validated by server-side dry-run), and with `--apply` applied (field manager `podnet`) and
 * verified: re-checks until the cause is gone and the server stayed up for the settle period.
 */
import { diagnose } from '../analysis/diagnose.js';
import type { CauseId, Diagnosis } from '../analysis/types.js';
import { createClusterAccess, type KubeClusterAccess } from '../cluster/client.js';
import { kubeBudgetFromEnv } from '../config.js';
import type { ClusterAccess } from '../cluster/types.js';
import type { FixCommand } from '../commands/grammar.js';
import { cliHelpText, type CliHelpExtras } from '../commands/verbs/index.js';
import { describeError } from '../errors.js';
import type { Evidence } from '../evidence.js';
import { collectEvidence, type CheckRequest } from '../probes/collect.js';
import { remediationText } from '../render/remediation.js';
import { applyRemediation, attachRemediations, successorPod, type AppliedChange } from '../remediation/apply.js';
import { isApplicable, type Remediation, type RemediationTarget } from '../remediation/types.js';
import { verifyFix, type VerifyCheck } from '../remediation/verify.js';
import { loadScenario } from '../sim/scenario.js';
import { startSimulator, type RunningSimulator } from '../sim/server.js';
import { checkRequestOf, processIo, type CliIo } from './check.js';
import { parseCliArgs, parseOrExit, type CliArgs, type ClusterSource } from './cli-args.js';
import { exitCodeFor } from './exit.js';

/** What `podnet fix --help` says besides the usage and options the spec gives. */
const HELP: CliHelpExtras = {
  about: `Checks POD, then shows the fix for the leading cause (or --cause) as a patch to the object
that owns the setting — found through ownerReferences (a Seldon pod's settings live in its
Server / ServerConfig, a Deployment's pods' in the Deployment) and validated by server-side
dry-run. With --apply, applies it (field manager podnet) and verifies: re-checks until the
cause is gone and the server has stayed up (no new restarts, ready, the client's dial
connects) for the settle period, or --verify-for passes. When it is not fixed, prints the
patch that restores the previous values.`,
  footer: `Exit codes: 0 the fix was shown, or applied and verified; 1 no patch to apply, the apply was
refused, or the fix was not verified; 2 bad input; 3 the API cannot be reached; 4 no such pod.`,
};

/** `podnet fix --help`: usage and options from the fix spec (src/commands/verbs/fix.ts). */
export const USAGE = cliHelpText('fix', HELP);

export interface FixArgs {
  request: CheckRequest;
  cause?: CauseId;
  apply: boolean;
  verifyForMs: number;
  settleMs: number;
  intervalMs: number;
  output: 'text' | 'json';
  /** Where the cluster is (`--scenario`, `--kubeconfig`…). */
  source: ClusterSource;
}

const OUTPUTS = ['text', 'json'] as const;

/** Verification defaults, in seconds: a simulated cluster does not drift on its own, so it settles sooner. */
const VERIFY_DEFAULTS = { verifyFor: 300, settle: { cluster: 60, scenario: 3 }, interval: { cluster: 5, scenario: 1 } } as const;

/** The fix's terminal arguments from what the grammar parsed. */
function fixArgsOf({ command: c, source, output }: CliArgs<FixCommand, FixArgs['output']>): FixArgs {
  const request = checkRequestOf(c);
  const where = source.scenario !== undefined ? 'scenario' : 'cluster';
  return {
    request,
    ...(c.cause !== undefined && { cause: c.cause }),
    apply: c.apply,
    verifyForMs: (c.verifyForSeconds ?? VERIFY_DEFAULTS.verifyFor) * 1000,
    settleMs: (c.settleSeconds ?? VERIFY_DEFAULTS.settle[where]) * 1000,
    intervalMs: (c.intervalSeconds ?? VERIFY_DEFAULTS.interval[where]) * 1000,
    output,
    source,
  };
}

/**
 * Parses `podnet fix` arguments through the shared grammar (the fix spec, CLI surface);
 * `undefined` when `--help` was asked. Throws BadInputError saying what was wrong.
 */
export function parseFixArgs(argv: string[]): FixArgs | undefined {
  const parsed = parseCliArgs('fix', argv, OUTPUTS);
  return parsed && fixArgsOf(parsed);
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

/** The text `podnet fix` prints (the fix verb's renderer). */
export function renderFixText(r: FixReport): string {
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
  const parsed = parseOrExit('fix', argv, OUTPUTS, io, HELP, fixArgsOf);
  if ('exit' in parsed) return parsed.exit;
  const { args } = parsed;
  let sim: RunningSimulator | undefined;
  const progress = io.stderrIsTTY ? (s: string) => io.stderr(`${s}\n`) : () => undefined;
  try {
    let cluster: KubeClusterAccess;
    let now: (() => Date) | undefined;
    const { source } = args;
    if (source.scenario) {
      const scenario = loadScenario(source.scenario);
      const clusterNow = new Date(scenario.now);
      now = () => clusterNow;
      sim = await startSimulator({ scenario, port: 0, ...(source.lab ? { lab: source.lab } : {}) });
      cluster = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml() });
    } else {
      cluster = createClusterAccess({ kubeconfigPath: source.kubeconfig, context: source.context, inCluster: source.inCluster, ...kubeBudgetFromEnv() });
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
    io.stdout(args.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderFixText(report));
    return code;
  } catch (err) {
    io.stderr(`podnet fix: ${describeError(err)}\n`);
    if (io.env.PODNET_DEBUG) io.stderr(`${err instanceof Error ? err.stack : String(err)}\n`);
    return exitCodeFor(err);
  } finally {
    await sim?.close();
  }
}
