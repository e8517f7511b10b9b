/** `logs POD`: a bounded slice of one container's log, scanned for known signatures. */
import { formatDuration, validateDuration, validateLabel, validateRegex } from '../validate.js';
import { CLUSTER_SOURCE_FLAGS, clusterFlag, namespaceFlag, outputFlag, switchFlag, valueFlag } from './flags.js';
import { podTargetOf, scanInput, Words } from './scan.js';
import type { VerbSpec } from './spec.js';
import { synopsis } from './usage.js';

/** `logs POD`: bounded log collection, scanned for known signatures. */
export interface LogsCommand {
  verb: 'logs';
  pod: string;
  namespace: string;
  container?: string;
  previous: boolean;
  sinceSeconds?: number;
  grep?: string;
  cluster?: string;
}

/** Bounds of `--since`, in seconds. */
export const SINCE_LIMITS = { min: 1, max: 7 * 24 * 3600 } as const;

/** Bounds of `--tail` (CLI), in lines, and the default. */
export const TAIL_LIMITS = { min: 1, max: 1_000_000, default: 10_000 } as const;

const FLAGS = [
  namespaceFlag,
  valueFlag(['-c', '--container'], {
    metavar: 'CONTAINER', valueName: 'a container name', sample: 'mlserver', help: "container (default: the pod's default-container annotation, or its only container)",
  }),
  switchFlag(['--previous', '-p'], 'the previous (crashed or restarted) run of the container'),
  valueFlag(['--since'], { metavar: '10m', valueName: 'a duration', sample: '10m', help: 'only lines newer than this, e.g. 30s, 10m, 1h (at most 7 days)' }),
  valueFlag(['--tail'], {
    metavar: 'N', valueName: 'a number of lines', sample: '500', surfaces: ['cli'], help: `only the last N lines (default ${TAIL_LIMITS.default}, at most ${TAIL_LIMITS.max})`,
  }),
  valueFlag(['--grep'], { metavar: 'RE', valueName: 'a regular expression', sample: "'refused|timeout'", help: 'also select lines matching this regular expression (RE2: linear time)' }),
  clusterFlag,
  ...CLUSTER_SOURCE_FLAGS,
  outputFlag(['text', 'json']),
];

export const logsVerb = {
  name: 'logs',
  aliases: [],
  usage: (surface) => synopsis('logs POD', FLAGS, surface),
  summary: 'collect a bounded slice of a container log, scanned for known signatures',
  surfaces: ['slack', 'cli'],
  flags: FLAGS,
  parse(input) {
    const s = scanInput('logs', FLAGS, input);
    const cmd: LogsCommand = { verb: 'logs', ...podTargetOf('logs', s, input.defaults), previous: s.booleans.has('previous') };
    const container = s.values.get('container');
    const since = s.values.get('since');
    const grep = s.values.get('grep');
    if (container !== undefined) cmd.container = validateLabel(container, 'container name');
    if (since !== undefined) cmd.sinceSeconds = validateDuration(since, '--since', SINCE_LIMITS);
    if (grep !== undefined) cmd.grep = validateRegex(grep);
    return cmd;
  },
  format: (c) =>
    new Words()
      .push(c.pod)
      .opt('-n', c.namespace)
      .opt('-c', c.container)
      .flag('--previous', c.previous)
      .opt('--since', c.sinceSeconds === undefined ? undefined : formatDuration(c.sinceSeconds))
      .opt('--grep', c.grep)
      .opt('--cluster', c.cluster).parts,
  describe: (c) => `logs of ${c.pod}${c.container ? `/${c.container}` : ''} in ${c.namespace}${c.previous ? ' (previous)' : ''}`,
  routes: () => true,
  permission: { policy: 'channel', intrusive: () => false },
  run: { on: 'worker', job: 'logs', processor: 'logs', renderer: 'src/render/logs.ts#renderLogsMessage' },
} as const satisfies VerbSpec<LogsCommand>;
