/** `check POD`: the full intra-pod network diagnosis of one pod. */
import { validateImage, validateLabel, validatePort } from '../validate.js';
import { CLUSTER_SOURCE_FLAGS, clientFlag, clusterFlag, namespaceFlag, outputFlag, portFlag, serverFlag, switchFlag, valueFlag } from './flags.js';
import { podTargetOf, scanInput, Words, type Scanned } from './scan.js';
import type { ParseDefaults, VerbSpec } from './spec.js';
import { synopsis } from './usage.js';

/** `check POD`: full intra-pod network diagnosis of one pod. */
export interface CheckCommand {
  verb: 'check';
  pod: string;
  namespace: string;
  /** Client container (the one that dials); inferred when absent. */
  client?: string;
  /** Server container (the one that should listen); inferred when absent. */
  server?: string;
  port?: number;
  /** Opt-in ephemeral debug container image (an intrusive action). */
  debugContainerImage?: string;
  /**
   * `--evidence`: also hand over the collected evidence as JSON, `POD-evidence.json` (the file
   * `podnet analyze` reads) — uploaded into the check's thread in Slack, written to the working
   * directory by the CLI (or to the file `--evidence-file` names).
   */
  evidence?: true;
  cluster?: string;
}

const debugFlag = valueFlag(['--debug-container'], {
  key: 'debug', metavar: 'IMAGE', valueName: 'an image', sample: 'busybox:1.36',
  help: 'when no container can dial, attach an ephemeral container with IMAGE (e.g. busybox:1.36) and dial from it (changes the pod spec)',
});

/** `--evidence`: one switch, one meaning on both surfaces; only a terminal can name the file. */
export const evidenceFlag = switchFlag(
  ['--evidence'],
  "also give the collected evidence as JSON, POD-evidence.json (Slack: uploaded into the check's thread; CLI: written here): re-analyse it with `podnet analyze FILE`",
  { valueInstead: '--evidence-file FILE (in a terminal) to name the file' },
);

/** `--evidence-file FILE` (CLI): the evidence written to FILE instead of POD-evidence.json. */
export const evidenceFileFlag = valueFlag(['--evidence-file'], {
  metavar: 'FILE', valueName: 'a file name', sample: 'ev.json', surfaces: ['cli'], help: 'write the evidence to FILE instead (implies --evidence)',
});

const timelinePngFlag = valueFlag(['--timeline-png'], {
  metavar: 'OUT', valueName: 'a file name', sample: 't.png', surfaces: ['cli'],
  help: "also draw the incident timeline (containers, kubelet, refusals, podnet's dials, on the cluster's clock) as a PNG to OUT",
});

const timelineSvgFlag = valueFlag(['--timeline-svg'], {
  metavar: 'OUT', valueName: 'a file name', sample: 't.svg', surfaces: ['cli'], help: 'the same chart as SVG to OUT',
});

/** The check's target options, shared with `fix` (which diagnoses first). */
export const TARGET_FLAGS = [namespaceFlag, clientFlag, serverFlag, portFlag] as const;

/** The pod a check or fix diagnoses: pod, namespace, `--cluster`, and the client, server and port when given. */
export type CheckTarget = Omit<CheckCommand, 'verb' | 'debugContainerImage' | 'evidence'>;

/** The target part of a check or fix: pod, namespace, cluster, client, server, port. */
export function parseTarget(verb: string, s: Scanned, defaults: ParseDefaults | undefined): CheckTarget {
  const out: CheckTarget = podTargetOf(verb, s, defaults);
  const client = s.values.get('client');
  const server = s.values.get('server');
  const port = s.values.get('port');
  if (client !== undefined) out.client = validateLabel(client, 'container name (--client)');
  if (server !== undefined) out.server = validateLabel(server, 'container name (--server)');
  if (port !== undefined) out.port = validatePort(port);
  return out;
}

/** The canonical words of a check or fix target: `POD -n NS [--client C] [--server S] [--port P]`. */
export function targetWords(c: CheckTarget): Words {
  return new Words().push(c.pod).opt('-n', c.namespace).opt('--client', c.client).opt('--server', c.server).opt('--port', c.port);
}

const FLAGS = [
  ...TARGET_FLAGS, debugFlag, evidenceFlag, evidenceFileFlag, clusterFlag, ...CLUSTER_SOURCE_FLAGS, outputFlag(['text', 'markdown', 'json']), timelinePngFlag, timelineSvgFlag,
];

export const checkVerb = {
  name: 'check',
  aliases: [],
  usage: (surface) => synopsis('check POD', FLAGS, surface),
  summary: 'diagnose intra-pod networking of one pod (sockets, netns, dial, logs, events, policies)',
  surfaces: ['slack', 'cli'],
  flags: FLAGS,
  parse(input) {
    const s = scanInput('check', FLAGS, input);
    const cmd: CheckCommand = { verb: 'check', ...parseTarget('check', s, input.defaults) };
    const debug = s.values.get('debug');
    if (debug !== undefined) cmd.debugContainerImage = validateImage(debug);
    if (s.booleans.has('evidence') || s.values.has('evidence-file')) cmd.evidence = true;
    return cmd;
  },
  format: (c) =>
    targetWords(c)
      .opt('--debug-container', c.debugContainerImage)
      .flag('--evidence', c.evidence)
      .opt('--cluster', c.cluster).parts,
  describe: (c) => `check of ${c.pod} in ${c.namespace}${c.debugContainerImage ? ` (debug container ${c.debugContainerImage})` : ''}`,
  routes: () => true,
  permission: { policy: 'channel', intrusive: (c) => c.debugContainerImage !== undefined },
  run: { on: 'worker', job: 'check', processor: 'check', renderer: 'src/render/slack.ts#renderSlackSummary' },
} as const satisfies VerbSpec<CheckCommand>;
