/**
 * On-call runbooks: YAML files of steps that podnet runs for the engineer. A runbook is data;
 * the runner (runner.ts) executes it through injected actions, so the same runbook runs from
 * Slack (inside a worker job) and from tests.
 *
 * ```yaml
 * apiVersion: podnet.dev/v1alpha1
 * kind: Runbook
 * metadata: { name: oom-triage, description: … }
 * steps:
 *   - check: {}
 *   - logs: { container: "{{server}}", previous: true }
 *     when: cause == server-oom-killed
 *   - debug: { image: busybox:1.36 }
 *     confirm: Attach a debug container to {{pod}}?
 * ```
 */
import { z } from 'zod';

const DURATION = /^(\d+)(s|m|h)$/;

export const durationSchema = z
  .string()
  .regex(DURATION, 'expected a duration like 30s, 10m or 1h');

/** Milliseconds in a duration string (`30s`, `10m`, `1h`). */
export function parseDurationMs(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new Error(`"${text}" is not a duration; use a number followed by s, m or h (e.g. 30s)`);
  const unit = m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 3_600_000;
  return Number(m[1]) * unit;
}

const CONDITION = /^\s*(cause|confidence|restarts|dial|netns)\s*(==|!=|>=|<=|>|<)\s*([A-Za-z0-9_.-]+)\s*$/;

/**
 * A step condition: `VAR OP VALUE`, joined with ` and ` / ` or ` (and binds tighter).
 * Variables: `cause` (top cause id), `confidence` (0..1), `restarts` (server container
 * restarts), `dial` (`connected`, `refused`, `timeout`, `error`, `none`), `netns` (`shared` when
 * every container's net:[inode] was read and they are equal, `separate`, `unknown` when they
 * could not be compared).
 */
export const conditionSchema = z.string().refine(
  (text) => text.split(/\s+or\s+/).every((part) => part.split(/\s+and\s+/).every((c) => CONDITION.test(c))),
  { message: 'expected conditions like "cause == server-oom-killed" or "confidence >= 0.7 and restarts > 0" (variables: cause, confidence, restarts, dial, netns)' },
);

const common = {
  /** Optional id, shown in outcomes; defaults to the step's kind and position. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a kebab-case id').optional(),
  when: conditionSchema.optional(),
  /** A question an allowed user must confirm (button) before the step runs. */
  confirm: z.string().min(1).max(300).optional(),
  /** One line shown when the step runs. */
  note: z.string().max(500).optional(),
};

const stepSchema = z.union([
  z.object({ ...common, check: z.object({ port: z.number().int().min(1).max(65535).optional() }).strict() }).strict(),
  z.object({
    ...common,
    logs: z
      .object({ container: z.string().min(1).optional(), previous: z.boolean().optional(), since: durationSchema.optional(), grep: z.string().max(200).optional() })
      .strict(),
  }).strict(),
  z.object({ ...common, sweep: z.object({ selector: z.string().optional() }).strict() }).strict(),
  z.object({ ...common, watch: z.object({ every: durationSchema.optional(), for: durationSchema.optional() }).strict() }).strict(),
  z.object({ ...common, wait: durationSchema }).strict(),
  z.object({ ...common, post: z.string().min(1).max(3000) }).strict(),
  z.object({ ...common, debug: z.object({ image: z.string().min(1) }).strict() }).strict(),
]);

export const runbookSchema = z
  .object({
    apiVersion: z.literal('podnet.dev/v1alpha1'),
    kind: z.literal('Runbook'),
    metadata: z
      .object({
        name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a DNS-1123 label (lowercase letters, digits, -)'),
        description: z.string().max(500).optional(),
      })
      .strict(),
    steps: z.array(stepSchema).min(1, 'a runbook needs at least one step').max(50, 'at most 50 steps'),
  })
  .strict()
  .superRefine((rb, ctx) => {
    rb.steps.forEach((step, i) => {
      if ('debug' in step && !step.confirm) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'confirm'],
          message: 'a debug step is intrusive and needs a `confirm:` question that an allowed user must answer',
        });
      }
    });
  });

export type Runbook = z.infer<typeof runbookSchema>;
export type RunbookStep = Runbook['steps'][number];

export type StepKind = 'check' | 'logs' | 'sweep' | 'watch' | 'wait' | 'post' | 'debug';

export function stepKind(step: RunbookStep): StepKind {
  for (const k of ['check', 'logs', 'sweep', 'watch', 'wait', 'post', 'debug'] as const) if (k in step) return k;
  /* c8 ignore next */
  throw new Error('unreachable: step without a kind');
}

/** Variables a condition can read. */
export interface ConditionVars {
  cause?: string;
  confidence?: number;
  restarts?: number;
  dial?: string;
  netns?: string;
}

/** Evaluates a validated condition against the run's variables. Unset variables never match. */
export function evaluateCondition(condition: string, vars: ConditionVars): boolean {
  return condition.split(/\s+or\s+/).some((alt) =>
    alt.split(/\s+and\s+/).every((clause) => {
      const m = CONDITION.exec(clause);
      if (!m) return false;
      const [, name, op, raw] = m as unknown as [string, keyof ConditionVars, string, string];
      const actual = vars[name];
      if (actual === undefined) return false;
      if (typeof actual === 'number') {
        const want = Number(raw);
        if (Number.isNaN(want)) return false;
        switch (op) {
          case '==': return actual === want;
          case '!=': return actual !== want;
          case '>=': return actual >= want;
          case '<=': return actual <= want;
          case '>': return actual > want;
          default: return actual < want;
        }
      }
      if (op === '==') return actual === raw;
      if (op === '!=') return actual !== raw;
      return false;
    }),
  );
}
