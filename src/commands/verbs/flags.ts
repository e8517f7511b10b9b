/**
 * Options several verbs share, declared once. A verb lists the ones it takes; its own
 * options stay in its file.
 */
import type { FlagSpec } from './spec.js';

const BOTH = ['slack', 'cli'] as const;
const CLI = ['cli'] as const;

export const namespaceFlag = {
  key: 'namespace', names: ['-n', '--namespace'], kind: 'string', surfaces: BOTH, metavar: 'NS',
  valueName: 'a namespace', example: '-n financial-ml',
  help: "namespace of the pod (default: the channel's in Slack, else default)",
} as const satisfies FlagSpec;

export const clusterFlag = {
  key: 'cluster', names: ['--cluster'], kind: 'string', surfaces: ['slack'], metavar: 'NAME',
  valueName: 'a cluster name', example: '--cluster prod-eu',
  help: "the cluster whose worker runs it (default: the channel's, else the bot's default)",
} as const satisfies FlagSpec;

export const clientFlag = {
  key: 'client', names: ['--client'], kind: 'string', surfaces: BOTH, metavar: 'C',
  valueName: 'a container name', example: '--client agent', help: 'container that dials (default: inferred; Seldon: agent)',
} as const satisfies FlagSpec;

export const serverFlag = {
  key: 'server', names: ['--server'], kind: 'string', surfaces: BOTH, metavar: 'S',
  valueName: 'a container name', example: '--server mlserver', help: 'container that should answer (default: inferred; Seldon: mlserver)',
} as const satisfies FlagSpec;

export const portFlag = {
  key: 'port', names: ['--port', '-p'], kind: 'string', surfaces: BOTH, metavar: 'P',
  valueName: 'a port number', example: '--port 9500', help: 'port the client dials (default: inferred; Seldon: 9500)',
} as const satisfies FlagSpec;

// CLI only: where the cluster is and how to print.

export const scenarioFlag = {
  key: 'scenario', names: ['--scenario'], kind: 'string', surfaces: CLI, metavar: 'FILE',
  valueName: 'a scenario file', example: '--scenario scenarios/seed-incident.yaml',
  help: 'a simulated cluster (scenario YAML, served by podnet sim) instead of a real one',
} as const satisfies FlagSpec;

export const labFlag = {
  key: 'lab', names: ['--lab'], kind: 'boolean', surfaces: CLI,
  help: "with --scenario: run the scenario's pods as real network namespaces of this kernel (root; README \"Lab mode\")",
} as const satisfies FlagSpec;

export const labToolsFlag = {
  key: 'lab-tools', names: ['--lab-tools'], kind: 'string', surfaces: CLI, metavar: 'SPEC',
  valueName: 'a tool list', example: '--lab-tools nc=ncat,sh=busybox',
  help: 'with --lab: which real programs the tools are (nc: openbsd|ncat|busybox|traditional; sh: dash|bash|busybox; busybox)',
} as const satisfies FlagSpec;

export const kubeconfigFlag = {
  key: 'kubeconfig', names: ['--kubeconfig'], kind: 'string', surfaces: CLI, metavar: 'FILE',
  valueName: 'a kubeconfig file', example: '--kubeconfig ~/.kube/config', help: 'kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config)',
} as const satisfies FlagSpec;

export const contextFlag = {
  key: 'context', names: ['--context'], kind: 'string', surfaces: CLI, metavar: 'NAME',
  valueName: 'a kubeconfig context', example: '--context prod', help: 'kubeconfig context (default: its current-context)',
} as const satisfies FlagSpec;

export const inClusterFlag = {
  key: 'in-cluster', names: ['--in-cluster'], kind: 'boolean', surfaces: CLI, help: "use the pod's service account",
} as const satisfies FlagSpec;

/** `-o/--output`; each verb says which formats it prints. */
export function outputFlag(formats: readonly string[]): FlagSpec {
  return {
    key: 'output', names: ['-o', '--output'], kind: 'string', surfaces: CLI, metavar: 'FORMAT',
    valueName: `one of ${formats.join(', ')}`, example: `--output ${formats[formats.length - 1] ?? 'json'}`,
    help: `${formats.join(', ')} (default ${formats[0] ?? 'text'})`,
  };
}

/** The flags that pick the cluster a CLI command talks to. */
export const CLUSTER_SOURCE_FLAGS = [scenarioFlag, labFlag, labToolsFlag, kubeconfigFlag, contextFlag, inClusterFlag] as const;
