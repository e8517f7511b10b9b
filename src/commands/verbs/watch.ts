/** `watch POD` and `watch stop [POD]`: repeated checks that post only on change. */
import { formatDuration, validateDuration, validatePodName } from '../validate.js';
import { clusterFlag, namespaceFlag, valueFlag } from './flags.js';
import { bad, expectPositionals, namespaceOf, podTargetOf, scanInput, Words, type Scanned } from './scan.js';
import type { ParseDefaults, VerbSpec } from './spec.js';

/** `watch POD`: repeated checks, posting only on change. */
export interface WatchStartCommand {
  verb: 'watch';
  action: 'start';
  pod: string;
  namespace: string;
  everySeconds: number;
  forSeconds: number;
  cluster?: string;
}

/** `watch stop [POD]`: stop this channel's watches (of one pod, or all). */
export interface WatchStopCommand {
  verb: 'watch';
  action: 'stop';
  pod?: string;
  namespace?: string;
}

export type WatchCommand = WatchStartCommand | WatchStopCommand;

/** Bounds of `--every` and `--for`, in seconds. */
export const WATCH_LIMITS = { everyMin: 10, everyMax: 24 * 3600, forMin: 10, forMax: 24 * 3600 } as const;

export const WATCH_DEFAULTS = { everySeconds: 30, forSeconds: 30 * 60 } as const;

const FLAGS = [
  namespaceFlag,
  valueFlag(['--every'], { metavar: '30s', valueName: 'a duration', sample: '30s', surfaces: ['slack'], help: 'time between checks (10s..24h)' }),
  valueFlag(['--for'], { metavar: '30m', valueName: 'a duration', sample: '30m', surfaces: ['slack'], help: 'how long to watch (10s..24h)' }),
  clusterFlag,
];

function parseStop(s: Scanned, d: ParseDefaults | undefined): WatchStopCommand {
  expectPositionals('watch', s, 2, 'watch stop POD');
  for (const k of ['every', 'for', 'cluster']) {
    if (s.values.has(k)) bad(`--${k} does not apply to watch stop: write watch stop [POD] [-n NS]`);
  }
  const cmd: WatchStopCommand = { verb: 'watch', action: 'stop' };
  const pod = s.positionals[1];
  if (pod !== undefined) {
    cmd.pod = validatePodName(pod);
    cmd.namespace = namespaceOf(s, d);
  } else if (s.values.has('namespace')) {
    cmd.namespace = namespaceOf(s, d);
  }
  return cmd;
}

function parseStart(s: Scanned, d: ParseDefaults | undefined): WatchStartCommand {
  const target = podTargetOf('watch', s, d);
  const every = s.values.get('every');
  const forText = s.values.get('for');
  const everySeconds = every === undefined ? WATCH_DEFAULTS.everySeconds : validateDuration(every, '--every', { min: WATCH_LIMITS.everyMin, max: WATCH_LIMITS.everyMax });
  const forSeconds = forText === undefined ? WATCH_DEFAULTS.forSeconds : validateDuration(forText, '--for', { min: WATCH_LIMITS.forMin, max: WATCH_LIMITS.forMax });
  if (forSeconds < everySeconds) {
    bad(`--for ${formatDuration(forSeconds)} is shorter than --every ${formatDuration(everySeconds)}: the watch would never check twice`);
  }
  return { verb: 'watch', action: 'start', ...target, everySeconds, forSeconds };
}

export const watchVerb = {
  name: 'watch',
  aliases: [],
  usage: () => 'watch POD [-n NS] [--every 30s] [--for 30m] [--cluster NAME]  |  watch stop [POD] [-n NS]',
  summary: 'check a pod repeatedly and post only when the finding changes',
  surfaces: ['slack'],
  flags: FLAGS,
  parse(input) {
    const s = scanInput('watch', FLAGS, input);
    return s.positionals[0] === 'stop' ? parseStop(s, input.defaults) : parseStart(s, input.defaults);
  },
  format: (c) =>
    c.action === 'stop'
      ? new Words().push('stop', ...(c.pod !== undefined ? [c.pod] : [])).opt('-n', c.namespace).parts
      : new Words().push(c.pod).opt('-n', c.namespace).opt('--every', formatDuration(c.everySeconds)).opt('--for', formatDuration(c.forSeconds)).opt('--cluster', c.cluster).parts,
  describe: (c) =>
    c.action === 'stop'
      ? `stop of ${c.pod ? `the watch on ${c.pod}` : "this channel's watches"}`
      : `watch of ${c.pod} in ${c.namespace} every ${formatDuration(c.everySeconds)} for ${formatDuration(c.forSeconds)}`,
  routes: (c) => c.action === 'start',
  permission: { policy: 'channel', intrusive: () => false },
  run: { on: 'worker', job: 'watch', processor: 'watch', renderer: 'src/render/watch.ts#renderWatchChanges' },
} as const satisfies VerbSpec<WatchCommand>;
