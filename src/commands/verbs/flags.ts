/**
 * Options several verbs share, declared once, and the two builders every option is declared
 * with. A verb lists the ones it takes; its own options stay in its file.
 */
import type { FlagSpec, Surface } from './spec.js';

const BOTH = ['slack', 'cli'] as const;
const CLI = ['cli'] as const;

/** What an option that takes a value says about itself. */
export interface ValueFlagOptions {
  /** The value as usage names it, e.g. `NS`. */
  metavar: string;
  /** How "needs a value" names it, e.g. `a namespace`. */
  valueName: string;
  /** A sample value for "needs a value" messages, e.g. `financial-ml` (shown after the first spelling). */
  sample: string;
  /** One line for the option list. */
  help: string;
  /** Default: Slack and the CLI. */
  surfaces?: readonly Surface[];
  /** Default: the first long spelling without its dashes. */
  key?: string;
}

/** The key of an option: its first long spelling without the dashes (`--debug-container` → `debug-container`). */
function keyOf(names: readonly string[]): string {
  return (names.find((n) => n.startsWith('--')) ?? (names[0] as string)).replace(/^-+/, '');
}

/** An option that takes a value (`--port 9500`, `--port=9500`). */
export function valueFlag(names: readonly string[], o: ValueFlagOptions): FlagSpec {
  return {
    key: o.key ?? keyOf(names), names, kind: 'string', surfaces: o.surfaces ?? BOTH, metavar: o.metavar,
    valueName: o.valueName, example: `${names[0]} ${o.sample}`, help: o.help,
  };
}

/** A switch (no value); `valueInstead` says what to write when a value is given to it. */
export function switchFlag(names: readonly string[], help: string, o: { surfaces?: readonly Surface[]; key?: string; valueInstead?: string } = {}): FlagSpec {
  return { key: o.key ?? keyOf(names), names, kind: 'boolean', surfaces: o.surfaces ?? BOTH, help, ...(o.valueInstead !== undefined && { valueInstead: o.valueInstead }) };
}

export const namespaceFlag = valueFlag(['-n', '--namespace'], {
  metavar: 'NS', valueName: 'a namespace', sample: 'financial-ml',
  help: "namespace of the pod (default: the channel's in Slack, else default)",
});

export const clusterFlag = valueFlag(['--cluster'], {
  metavar: 'NAME', valueName: 'a cluster name', sample: 'prod-eu', surfaces: ['slack'],
  help: "the cluster whose worker runs it (default: the channel's, else the bot's default)",
});

export const clientFlag = valueFlag(['--client'], {
  metavar: 'C', valueName: 'a container name', sample: 'agent', help: 'container that dials (default: inferred; Seldon: agent)',
});

export const serverFlag = valueFlag(['--server'], {
  metavar: 'S', valueName: 'a container name', sample: 'mlserver', help: 'container that should answer (default: inferred; Seldon: mlserver)',
});

export const portFlag = valueFlag(['--port', '-p'], {
  metavar: 'P', valueName: 'a port number', sample: '9500', help: 'port the client dials (default: inferred; Seldon: 9500)',
});

// CLI only: where the cluster is and how to print.

export const scenarioFlag = valueFlag(['--scenario'], {
  metavar: 'FILE', valueName: 'a scenario file', sample: 'scenarios/seed-incident.yaml', surfaces: CLI,
  help: 'a simulated cluster (scenario YAML, served in-process as by podnet sim) instead of a real one',
});

export const labFlag = switchFlag(
  ['--lab'],
  "with --scenario: run the scenario's pods as real network namespaces of this kernel, with real listeners and tools (needs root, iproute2, nftables; README \"Lab mode\")",
  { surfaces: CLI },
);

export const labToolsFlag = valueFlag(['--lab-tools'], {
  metavar: 'SPEC', valueName: 'a tool list', sample: 'nc=ncat,sh=busybox', surfaces: CLI,
  help: 'with --lab: which real programs the tools are (nc: openbsd|ncat|busybox|traditional; sh: dash|bash|busybox; busybox: every applet is busybox\'s)',
});

export const kubeconfigFlag = valueFlag(['--kubeconfig'], {
  metavar: 'FILE', valueName: 'a kubeconfig file', sample: '~/.kube/config', surfaces: CLI, help: 'kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config)',
});

export const contextFlag = valueFlag(['--context'], {
  metavar: 'NAME', valueName: 'a kubeconfig context', sample: 'prod', surfaces: CLI, help: 'kubeconfig context (default: its current-context)',
});

export const inClusterFlag = switchFlag(['--in-cluster'], "use the pod's service account", { surfaces: CLI });

/** `-o/--output`; each verb says which formats it prints, the first being the default. */
export function outputFlag(formats: readonly string[]): FlagSpec {
  return valueFlag(['--output', '-o'], {
    metavar: formats.join('|'), valueName: `one of ${formats.join(', ')}`, sample: formats[formats.length - 1] ?? 'json', surfaces: CLI,
    help: `${formats.join(', ')} (default ${formats[0] ?? 'text'})`,
  });
}

/** The flags that pick the cluster a CLI command talks to. */
export const CLUSTER_SOURCE_FLAGS = [scenarioFlag, labFlag, labToolsFlag, kubeconfigFlag, contextFlag, inClusterFlag] as const;
