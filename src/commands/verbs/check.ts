/** `check POD`: the full intra-pod network diagnosis of one pod. */
import { validateImage, validateLabel, validatePort } from '../validate.js';
import { CLUSTER_SOURCE_FLAGS, clientFlag, clusterFlag, namespaceFlag, outputFlag, portFlag, serverFlag } from './flags.js';
import { bad, clusterOf, expectPositionals, namespaceOf, requirePod, scanInput, Words, type Scanned } from './scan.js';
import type { FlagSpec, VerbSpec } from './spec.js';

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
   * `--evidence`: also hand over the collected evidence as JSON (`POD-evidence.json`, the file
   * `podnet analyze` reads) — uploaded into the check's thread in Slack, written to a file by
   * the CLI. `true`, or on the CLI the file named with `--evidence=FILE`.
   */
  evidence?: true | string;
  cluster?: string;
}

const debugFlag = {
  key: 'debug', names: ['--debug-container'], kind: 'string', surfaces: ['slack', 'cli'], metavar: 'IMAGE',
  valueName: 'an image', example: '--debug-container busybox:1.36',
  help: 'when no container can dial, attach an ephemeral container with IMAGE (e.g. busybox:1.36) and dial from it (changes the pod spec)',
} as const satisfies FlagSpec;

/** `--evidence[=FILE]`: the same switch on both surfaces; only the CLI can name a file. */
export const evidenceFlag = {
  key: 'evidence', names: ['--evidence'], kind: 'optional', surfaces: ['slack', 'cli'], metavar: 'FILE',
  help: 'also give the collected evidence as JSON (POD-evidence.json; --evidence=FILE names the file): re-analyse it with `podnet analyze FILE`',
} as const satisfies FlagSpec;

const timelinePngFlag = {
  key: 'timeline-png', names: ['--timeline-png'], kind: 'string', surfaces: ['cli'], metavar: 'OUT', valueName: 'a file name', example: '--timeline-png t.png',
  help: "also draw the incident timeline (containers, kubelet, refusals, podnet's dials, on the cluster's clock) as a PNG to OUT",
} as const satisfies FlagSpec;

const timelineSvgFlag = {
  key: 'timeline-svg', names: ['--timeline-svg'], kind: 'string', surfaces: ['cli'], metavar: 'OUT', valueName: 'a file name', example: '--timeline-svg t.svg',
  help: 'the same chart as SVG to OUT',
} as const satisfies FlagSpec;

/** The check's target options, shared with `fix` (which diagnoses first). */
export const TARGET_FLAGS = [namespaceFlag, clientFlag, serverFlag, portFlag] as const;

/** The target part of a check or fix: pod, namespace, client, server, port. */
export function parseTarget(verb: string, s: Scanned, defaults: Parameters<typeof namespaceOf>[1]): Omit<CheckCommand, 'verb'> {
  expectPositionals(verb, s.positionals, 1, 'the pod name');
  const out: Omit<CheckCommand, 'verb'> = { pod: requirePod(verb, s), namespace: namespaceOf(s, defaults) };
  const client = s.values.get('client');
  const server = s.values.get('server');
  const port = s.values.get('port');
  if (client !== undefined) out.client = validateLabel(client, 'container name (--client)');
  if (server !== undefined) out.server = validateLabel(server, 'container name (--server)');
  if (port !== undefined) out.port = validatePort(port);
  return out;
}

function evidenceOf(s: Scanned, surface: 'slack' | 'cli'): { evidence?: true | string } {
  const file = s.values.get('evidence');
  if (file !== undefined && surface === 'slack') {
    bad(`--evidence takes no value in Slack (got "${file}"): write just --evidence, and the evidence file is uploaded into the check's thread`);
  }
  return file !== undefined ? { evidence: file } : s.booleans.has('evidence') ? { evidence: true } : {};
}

const FLAGS = [...TARGET_FLAGS, debugFlag, evidenceFlag, clusterFlag, ...CLUSTER_SOURCE_FLAGS, outputFlag(['text', 'markdown', 'json']), timelinePngFlag, timelineSvgFlag];

export const checkVerb = {
  name: 'check',
  aliases: [],
  usage: 'check POD [-n NS] [--client C] [--server S] [--port P] [--debug-container IMAGE] [--evidence] [--cluster NAME]',
  summary: 'diagnose intra-pod networking of one pod (sockets, netns, dial, logs, events, policies)',
  surfaces: ['slack', 'cli'],
  flags: FLAGS,
  parse(input) {
    const s = scanInput('check', FLAGS, input);
    const cmd: CheckCommand = { verb: 'check', ...parseTarget('check', s, input.defaults) };
    const debug = s.values.get('debug');
    if (debug !== undefined) cmd.debugContainerImage = validateImage(debug);
    return { ...cmd, ...evidenceOf(s, input.surface), ...clusterOf(s) };
  },
  format: (c) =>
    new Words()
      .push(c.pod)
      .opt('-n', c.namespace)
      .opt('--client', c.client)
      .opt('--server', c.server)
      .opt('--port', c.port)
      .opt('--debug-container', c.debugContainerImage)
      .flag('--evidence', c.evidence === true)
      .inline('--evidence', typeof c.evidence === 'string' ? c.evidence : undefined)
      .opt('--cluster', c.cluster).parts,
  describe: (c) => `check of ${c.pod} in ${c.namespace}${c.debugContainerImage ? ` (debug container ${c.debugContainerImage})` : ''}`,
  routes: () => true,
  permission: { policy: 'channel', intrusive: (c) => c.debugContainerImage !== undefined },
  run: { on: 'worker', job: 'check', processor: 'check', renderer: 'src/render/slack.ts#renderSlackSummary' },
} as const satisfies VerbSpec<CheckCommand>;
