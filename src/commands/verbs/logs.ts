/** `logs POD`: a bounded slice of one container's log, scanned for known signatures. */
import { formatDuration, validateDuration, validateLabel, validateRegex } from '../validate.js';
import { CLUSTER_SOURCE_FLAGS, clusterFlag, namespaceFlag, outputFlag } from './flags.js';
import { clusterOf, expectPositionals, namespaceOf, requirePod, scanInput, Words } from './scan.js';
import type { FlagSpec, VerbSpec } from './spec.js';

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

const FLAGS = [
  namespaceFlag,
  {
    key: 'container', names: ['-c', '--container'], kind: 'string', surfaces: ['slack', 'cli'], metavar: 'CONTAINER',
    valueName: 'a container name', example: '-c mlserver', help: "container (default: the pod's default-container annotation, or its only container)",
  },
  { key: 'previous', names: ['--previous', '-p'], kind: 'boolean', surfaces: ['slack', 'cli'], help: 'the previous (crashed or restarted) run of the container' },
  {
    key: 'since', names: ['--since'], kind: 'string', surfaces: ['slack', 'cli'], metavar: '10m',
    valueName: 'a duration', example: '--since 10m', help: 'only lines newer than this, e.g. 30s, 10m, 1h (at most 7 days)',
  },
  {
    key: 'tail', names: ['--tail'], kind: 'string', surfaces: ['cli'], metavar: 'N',
    valueName: 'a number of lines', example: '--tail 500', help: 'only the last N lines (default 10000, at most 1000000)',
  },
  {
    key: 'grep', names: ['--grep'], kind: 'string', surfaces: ['slack', 'cli'], metavar: 'RE',
    valueName: 'a regular expression', example: "--grep 'refused|timeout'", help: 'also select lines matching this regular expression (RE2: linear time)',
  },
  clusterFlag,
  ...CLUSTER_SOURCE_FLAGS,
  outputFlag(['text', 'json']),
] as const satisfies readonly FlagSpec[];

export const logsVerb = {
  name: 'logs',
  aliases: [],
  usage: 'logs POD [-n NS] [-c CONTAINER] [--previous] [--since 10m] [--grep RE] [--cluster NAME]',
  summary: 'collect a bounded slice of a container log, scanned for known signatures',
  surfaces: ['slack', 'cli'],
  flags: FLAGS,
  parse(input) {
    const s = scanInput('logs', FLAGS, input);
    expectPositionals('logs', s.positionals, 1, 'the pod name');
    const cmd: LogsCommand = { verb: 'logs', pod: requirePod('logs', s), namespace: namespaceOf(s, input.defaults), previous: s.booleans.has('previous') };
    const container = s.values.get('container');
    const since = s.values.get('since');
    const grep = s.values.get('grep');
    if (container !== undefined) cmd.container = validateLabel(container, 'container name');
    if (since !== undefined) cmd.sinceSeconds = validateDuration(since, '--since', SINCE_LIMITS);
    if (grep !== undefined) cmd.grep = validateRegex(grep);
    return { ...cmd, ...clusterOf(s) };
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
