/**
 * Runs a runbook step by step through injected actions. The runner is a state machine: it
 * returns a {@link RunState} that can be stored and resumed, so a `confirm:` step can wait for
 * a button press (which may come to another worker) without holding a job open.
 */
import { describeError } from '../errors.js';
import { evaluateCondition, parseDurationMs, stepKind, type ConditionVars, type Runbook, type RunbookStep, type StepKind } from './schema.js';

export interface RunbookTarget {
  namespace: string;
  pod: string;
}

/** What a check tells the runbook: enough to branch on and to fill templates. */
export interface CheckSummary {
  cause: string;
  confidence: number;
  client?: string;
  server?: string;
  /** Restarts of the server container. */
  restarts?: number;
  /** Outcome of the client's dial to the target, when one was made. */
  dial?: string;
  /** Whether the containers' network namespaces were compared: `shared`, `separate`, `unknown`. */
  netns?: string;
  /** One line for the incident timeline. */
  headline: string;
}

/** What the runner can do. Slack workers and tests provide these. */
export interface RunbookActions {
  check(target: RunbookTarget, options: { port?: number }): Promise<CheckSummary>;
  logs(target: RunbookTarget, options: { container?: string; previous?: boolean; since?: string; grep?: string }): Promise<string>;
  sweep(namespace: string, selector?: string): Promise<string>;
  watch(target: RunbookTarget, options: { every?: string; for?: string }): Promise<string>;
  post(text: string): Promise<void>;
  wait(ms: number): Promise<void>;
  debug(target: RunbookTarget, image: string): Promise<string>;
}

export interface StepOutcome {
  index: number;
  id: string;
  kind: StepKind;
  status: 'done' | 'skipped' | 'failed' | 'awaiting-confirm' | 'declined';
  /** One line: what the step did or why it was skipped. */
  detail: string;
}

export interface RunState {
  runbook: string;
  target: RunbookTarget;
  /** The next step to run. */
  next: number;
  vars: ConditionVars & { client?: string; server?: string };
  outcomes: StepOutcome[];
  status: 'running' | 'awaiting-confirm' | 'done' | 'failed';
}

export function startRun(runbook: Runbook, target: RunbookTarget): RunState {
  return { runbook: runbook.metadata.name, target, next: 0, vars: {}, outcomes: [], status: 'running' };
}

/** Fills `{{pod}}`, `{{namespace}}`, `{{client}}`, `{{server}}`, `{{cause}}`, `{{confidence}}`. */
export function fillTemplate(text: string, state: RunState): string {
  const values: Record<string, string | undefined> = {
    pod: state.target.pod,
    namespace: state.target.namespace,
    client: state.vars.client,
    server: state.vars.server,
    cause: state.vars.cause,
    confidence: state.vars.confidence === undefined ? undefined : `${Math.round(state.vars.confidence * 100)}%`,
    restarts: state.vars.restarts === undefined ? undefined : String(state.vars.restarts),
  };
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) => values[key] ?? (key in values ? 'unknown' : whole));
}

export interface AdvanceOptions {
  /** Called after each outcome, e.g. to append it to the incident timeline. */
  onOutcome?: (outcome: StepOutcome) => Promise<void> | void;
  /** The answer to the pending `confirm:` question, when resuming after one. */
  confirmation?: 'confirmed' | 'declined';
}

/**
 * Runs steps from `state.next` until the runbook ends, a step waits for confirmation, or a
 * step fails (a failed step stops the run: later steps may depend on it). Never throws for
 * a step's failure; the returned state says what happened.
 */
export async function advanceRun(runbook: Runbook, state: RunState, actions: RunbookActions, options: AdvanceOptions = {}): Promise<RunState> {
  const s: RunState = { ...state, vars: { ...state.vars }, outcomes: [...state.outcomes], status: 'running' };
  let confirmation = options.confirmation;
  const record = async (outcome: StepOutcome) => {
    s.outcomes.push(outcome);
    await options.onOutcome?.(outcome);
  };

  while (s.next < runbook.steps.length) {
    const index = s.next;
    const step = runbook.steps[index]!;
    const kind = stepKind(step);
    const id = step.id ?? `${index + 1}-${kind}`;

    if (step.when && !evaluateCondition(step.when, s.vars)) {
      await record({ index, id, kind, status: 'skipped', detail: `skipped: ${step.when} is false (${describeVars(s.vars)})` });
      s.next++;
      continue;
    }
    if (step.confirm) {
      if (confirmation === undefined) {
        s.status = 'awaiting-confirm';
        await record({ index, id, kind, status: 'awaiting-confirm', detail: fillTemplate(step.confirm, s) });
        return s;
      }
      const answer = confirmation;
      confirmation = undefined;
      if (answer === 'declined') {
        await record({ index, id, kind, status: 'declined', detail: 'declined by the on-call engineer; step not run' });
        s.next++;
        continue;
      }
    }
    try {
      const detail = await runStep(step, s, actions);
      await record({ index, id, kind, status: 'done', detail: step.note ? `${fillTemplate(step.note, s)} — ${detail}` : detail });
      s.next++;
    } catch (err) {
      s.status = 'failed';
      await record({ index, id, kind, status: 'failed', detail: describeError(err) });
      return s;
    }
  }
  s.status = 'done';
  return s;
}

function describeVars(vars: ConditionVars): string {
  const parts = Object.entries(vars)
    .filter(([k, v]) => v !== undefined && ['cause', 'confidence', 'restarts', 'dial', 'netns'].includes(k))
    .map(([k, v]) => `${k}=${String(v)}`);
  return parts.length ? parts.join(', ') : 'no check has run yet';
}

async function runStep(step: RunbookStep, s: RunState, actions: RunbookActions): Promise<string> {
  if ('check' in step) {
    const summary = await actions.check(s.target, { port: step.check.port });
    Object.assign(s.vars, {
      cause: summary.cause,
      confidence: summary.confidence,
      restarts: summary.restarts,
      dial: summary.dial ?? 'none',
      netns: summary.netns ?? 'unknown',
      client: summary.client,
      server: summary.server,
    });
    return summary.headline;
  }
  if ('logs' in step) {
    const container = step.logs.container === undefined ? undefined : fillTemplate(step.logs.container, s);
    return actions.logs(s.target, { ...step.logs, container });
  }
  if ('sweep' in step) return actions.sweep(s.target.namespace, step.sweep.selector);
  if ('watch' in step) return actions.watch(s.target, step.watch);
  if ('wait' in step) {
    await actions.wait(parseDurationMs(step.wait));
    return `waited ${step.wait}`;
  }
  if ('post' in step) {
    const text = fillTemplate(step.post, s);
    await actions.post(text);
    return `posted: ${text.length > 120 ? `${text.slice(0, 117)}…` : text}`;
  }
  return actions.debug(s.target, step.debug.image);
}
