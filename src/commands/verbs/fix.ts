/**
 * `fix POD` (terminal): the check, then the fix for the leading cause (or `--cause`) as a
 * validated patch, applied and verified with `--apply`. In Slack the same fix is the *Apply
 * fix* button under a check's summary, so the verb is the CLI's only.
 */
import { CAUSE_IDS, type CauseId } from '../../analysis/types.js';
import { formatDuration, validateDuration } from '../validate.js';
import { parseTarget, TARGET_FLAGS, targetWords, type CheckTarget } from './check.js';
import { CLUSTER_SOURCE_FLAGS, outputFlag, switchFlag, valueFlag } from './flags.js';
import { bad, scanInput } from './scan.js';
import type { VerbSpec } from './spec.js';
import { synopsis } from './usage.js';

/** `fix POD`: the fix of one pod's leading cause (or `--cause`), shown or applied. */
export interface FixCommand extends CheckTarget {
  verb: 'fix';
  /** The cause whose fix to use; default the leading one. */
  cause?: CauseId;
  /** Apply the validated patch, then verify. */
  apply: boolean;
  /** With apply: give up verifying after this long (default: src/bin/fix.ts). */
  verifyForSeconds?: number;
  /** With apply: how long every condition must hold. */
  settleSeconds?: number;
  /** With apply: the pause between re-checks. */
  intervalSeconds?: number;
}

/** Bounds of the verification durations, in seconds. */
export const FIX_LIMITS = {
  verifyFor: { min: 10, max: 3600 },
  settle: { min: 1, max: 1800 },
  interval: { min: 1, max: 300 },
} as const;

const APPLY_ONLY = [
  { key: 'verify-for', field: 'verifyForSeconds', limits: FIX_LIMITS.verifyFor },
  { key: 'settle', field: 'settleSeconds', limits: FIX_LIMITS.settle },
  { key: 'interval', field: 'intervalSeconds', limits: FIX_LIMITS.interval },
] as const;

const FLAGS = [
  ...TARGET_FLAGS,
  valueFlag(['--cause'], { metavar: 'ID', valueName: 'a cause id', sample: 'probe-bind-mismatch', help: 'the cause whose fix to use (default: the leading cause)' }),
  switchFlag(['--apply'], 'apply the validated patch, then verify'),
  valueFlag(['--verify-for'], { metavar: 'D', valueName: 'a duration', sample: '5m', help: 'with --apply: give up verifying after D (default 5m; 10s..1h)' }),
  valueFlag(['--settle'], {
    metavar: 'D', valueName: 'a duration', sample: '60s',
    help: 'with --apply: how long every condition must hold (default 60s; with --scenario 3s, since the simulated cluster does not drift on its own; 1s..30m)',
  }),
  valueFlag(['--interval'], { metavar: 'D', valueName: 'a duration', sample: '5s', help: 'with --apply: pause between re-checks (default 5s; with --scenario 1s; 1s..5m)' }),
  ...CLUSTER_SOURCE_FLAGS,
  outputFlag(['text', 'json']),
];

function causeOf(text: string): CauseId {
  if (!(CAUSE_IDS as readonly string[]).includes(text)) bad(`--cause must be a cause id such as probe-bind-mismatch (got "${text}"): one of ${CAUSE_IDS.join(', ')}`);
  return text as CauseId;
}

export const fixVerb = {
  name: 'fix',
  aliases: [],
  usage: (surface) => synopsis('fix POD', FLAGS, surface),
  summary: 'show the fix as a validated patch; --apply applies and verifies it',
  surfaces: ['cli'],
  flags: FLAGS,
  parse(input) {
    const s = scanInput('fix', FLAGS, input);
    const cmd: FixCommand = { verb: 'fix', ...parseTarget('fix', s, input.defaults), apply: s.booleans.has('apply') };
    const cause = s.values.get('cause');
    if (cause !== undefined) cmd.cause = causeOf(cause);
    for (const { key, field, limits } of APPLY_ONLY) {
      const text = s.values.get(key);
      if (text === undefined) continue;
      if (!cmd.apply) bad(`--${key} only applies with --apply: add --apply, or drop --${key}`);
      cmd[field] = validateDuration(text, `--${key}`, limits);
    }
    return cmd;
  },
  format: (c) =>
    targetWords(c)
      .opt('--cause', c.cause)
      .flag('--apply', c.apply)
      .opt('--verify-for', c.verifyForSeconds === undefined ? undefined : formatDuration(c.verifyForSeconds))
      .opt('--settle', c.settleSeconds === undefined ? undefined : formatDuration(c.settleSeconds))
      .opt('--interval', c.intervalSeconds === undefined ? undefined : formatDuration(c.intervalSeconds)).parts,
  describe: (c) => `fix of ${c.pod} in ${c.namespace}${c.apply ? ' (apply)' : ''}`,
  routes: () => true,
  permission: { policy: 'channel', intrusive: (c) => c.apply },
  run: { on: 'terminal', renderer: 'src/bin/fix.ts#renderFixText' },
} as const satisfies VerbSpec<FixCommand>;
