/**
 * Target inference: who dials whom inside the pod, on which address and port, when the user
 * did not say. Seldon Core v2 server pods are recognised (agent → mlserver on
 * SELDON_SERVER_GRPC_PORT); other pods are read from the client's own refusals in its log,
 * then from HOST:PORT env values, then from declared container ports. Every inferred part
 * gets one sentence in `inferredFrom`, so the user can see — and correct — the guess.
 */
import type { ContainerEvidence, LogEvidence, PodEvidence, TargetEvidence } from '../evidence.js';

export interface TargetRequest {
  namespace: string;
  pod: string;
  client?: string;
  server?: string;
  port?: number;
}

/** Seldon defaults (causes.md → Seldon Core v2 server pods). */
export const SELDON_DEFAULT_GRPC_PORT = 9500;
export const SELDON_DEFAULT_HTTP_PORT = 9000;

function envOf(c: ContainerEvidence | undefined, name: string) {
  return c?.env.find((e) => e.name === name);
}

function portValue(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d{1,5}$/.test(v.trim())) return undefined;
  const n = Number(v);
  return n > 0 && n < 65536 ? n : undefined;
}

/** `--inference-host=X` or `--inference-host X` in command/args. */
function argValue(c: ContainerEvidence | undefined, flag: string): string | undefined {
  if (!c) return undefined;
  const argv = [...c.command, ...c.args];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === flag || a === `-${flag}`) return argv[i + 1];
    const m = a.match(new RegExp(`^-?${flag.replace(/-/g, '\\-')}=(.*)$`));
    if (m) return m[1];
  }
  return undefined;
}

/** Containers that run for the pod's life: regular ones and native sidecars. */
function runningContainers(pod: PodEvidence): ContainerEvidence[] {
  return [...pod.initContainers.filter((c) => c.restartPolicy === 'Always'), ...pod.containers];
}

/** True for a Seldon Core v2 server pod. */
export function isSeldonServerPod(pod: PodEvidence): boolean {
  const all = runningContainers(pod);
  const names = new Set(all.map((c) => c.name));
  return (names.has('agent') && names.has('mlserver')) || all.some((c) => c.env.some((e) => e.name.startsWith('SELDON_SERVER_')));
}

/** A dial address as Linux sees it: a dial to 0.0.0.0 (or ::) goes to loopback. */
function dialAddress(host: string): { address: string; note?: string } {
  if (host === '0.0.0.0') return { address: '127.0.0.1', note: 'a dial to 0.0.0.0 goes to loopback on Linux' };
  if (host === '::' || host === '[::]') return { address: '::1', note: 'a dial to :: goes to loopback on Linux' };
  return { address: host.replace(/^\[(.*)\]$/, '$1') };
}

function inferSeldon(req: TargetRequest, pod: PodEvidence, logs: LogEvidence[], t: TargetEvidence): void {
  const all = runningContainers(pod);
  const byName = (n: string) => all.find((c) => c.name === n);
  const why = t.inferredFrom;
  let agent = req.client ? byName(req.client) : undefined;
  if (!req.client) {
    agent = byName('agent') ?? all.find((c) => c.env.some((e) => e.name.startsWith('SELDON_SERVER_')));
    if (agent) {
      t.client = agent.name;
      why.push(`client ${agent.name}: the Seldon agent of this Seldon Core v2 server pod`);
    }
  }
  if (!req.server) {
    const server = byName('mlserver') ?? all.find((c) => c !== agent && (/mlserver/i.test(c.image) || c.env.some((e) => e.name.startsWith('MLSERVER_'))));
    if (server) {
      t.server = server.name;
      why.push(`server ${server.name}: the MLServer container the Seldon agent calls`);
    }
  }
  const agentName = agent?.name ?? 'agent';
  if (req.port === undefined) {
    const grpc = envOf(agent, 'SELDON_SERVER_GRPC_PORT');
    const port = portValue(grpc?.value);
    if (port !== undefined) {
      t.port = port;
      why.push(`port ${port} from ${agentName} env SELDON_SERVER_GRPC_PORT`);
    } else {
      t.port = SELDON_DEFAULT_GRPC_PORT;
      why.push(`port ${SELDON_DEFAULT_GRPC_PORT}: Seldon's default SELDON_SERVER_GRPC_PORT (${grpc ? 'the env var is not a literal' : 'not set on the agent'})`);
    }
  }
  const http = portValue(envOf(agent, 'SELDON_SERVER_HTTP_PORT')?.value);
  t.extraPorts = [http ?? SELDON_DEFAULT_HTTP_PORT].filter((p) => p !== t.port);
  why.push(
    http !== undefined
      ? `extra port ${http} from ${agentName} env SELDON_SERVER_HTTP_PORT`
      : `extra port ${SELDON_DEFAULT_HTTP_PORT}: Seldon's default SELDON_SERVER_HTTP_PORT`,
  );

  const hostEnv = envOf(agent, 'SELDON_SERVER_HOST');
  const hostArg = argValue(agent, '--inference-host');
  const hostLog = logs
    .filter((l) => l.container === agentName)
    .flatMap((l) => l.matches)
    .filter((m) => m.signature === 'agent-inference-host' && m.groups?.host)
    .at(-1);
  let host: string | undefined;
  let source: string;
  if (hostEnv?.value) {
    host = hostEnv.value;
    source = `${agentName} env SELDON_SERVER_HOST`;
  } else if (hostEnv?.from === 'fieldRef' && hostEnv.ref === 'status.podIP' && pod.podIP) {
    host = pod.podIP;
    source = `${agentName} env SELDON_SERVER_HOST (fieldRef status.podIP)`;
  } else if (hostArg) {
    host = hostArg;
    source = `${agentName} argument --inference-host`;
  } else if (hostLog?.groups?.host) {
    host = hostLog.groups.host;
    source = `${agentName} log "${hostLog.line.slice(0, 120)}"`;
  } else {
    host = '0.0.0.0';
    source = "the agent's default --inference-host 0.0.0.0";
  }
  const d = dialAddress(host);
  t.address = d.address;
  why.push(`address ${d.address} from ${source}${d.note ? ` (${d.note})` : ''}`);
}

/** The latest refusal with an address in the logs, preferring the given client's. */
function latestRefusal(logs: LogEvidence[], client?: string) {
  const matches = logs
    .filter((l) => !client || l.container === client)
    .flatMap((l) => l.matches.map((m) => ({ m, previous: l.previous })))
    .filter(({ m }) => m.signature === 'client-refused' && m.groups?.port);
  // Current run first, then by time: what the client dials now matters most.
  matches.sort((a, b) => Number(a.previous) - Number(b.previous) || (b.m.at ?? '').localeCompare(a.m.at ?? ''));
  return matches[0]?.m;
}

const HOST_PORT = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(localhost|\[[0-9a-f:]+\]|\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})(?:\/.*)?$/i;

/** Env literal values of the form HOST:PORT (loopback and IPs only: intra-pod dials). */
function envHostPort(containers: ContainerEvidence[], only?: string) {
  for (const c of containers) {
    if (only && c.name !== only) continue;
    for (const e of c.env) {
      const m = e.value?.match(HOST_PORT);
      const port = portValue(m?.[2]);
      if (m && port !== undefined) return { container: c, env: e.name, host: m[1]!, port };
    }
  }
  return undefined;
}

function inferGeneric(req: TargetRequest, pod: PodEvidence, logs: LogEvidence[], t: TargetEvidence): void {
  const all = runningContainers(pod);
  const why = t.inferredFrom;
  const refusal = latestRefusal(logs, req.client);
  if (refusal?.groups?.port) {
    if (!req.client) {
      t.client = refusal.container;
      why.push(`client ${refusal.container}: its log shows it was refused`);
    }
    const port = portValue(refusal.groups.port);
    if (req.port === undefined && port !== undefined) {
      t.port = port;
      why.push(`port ${port} from ${refusal.container} log "${refusal.line.slice(0, 120)}"`);
    }
    if (refusal.groups.host) {
      const d = dialAddress(refusal.groups.host);
      t.address = d.address;
      why.push(`address ${d.address} from the same log line${d.note ? ` (${d.note})` : ''}`);
    }
  }
  if (t.port === undefined || t.address === undefined) {
    const hp = envHostPort(all, t.client);
    if (hp) {
      if (!t.client) {
        t.client = hp.container.name;
        why.push(`client ${hp.container.name}: its env ${hp.env} names a HOST:PORT`);
      }
      if (t.port === undefined) {
        t.port = hp.port;
        why.push(`port ${hp.port} from ${hp.container.name} env ${hp.env}`);
      }
      if (t.address === undefined) {
        const d = dialAddress(hp.host);
        t.address = d.address;
        why.push(`address ${d.address} from ${hp.container.name} env ${hp.env}${d.note ? ` (${d.note})` : ''}`);
      }
    }
  }
  if (!t.server) {
    const others = all.filter((c) => c.name !== t.client);
    const declaring = t.port === undefined ? others.find((c) => c.ports.length > 0) : others.find((c) => c.ports.some((p) => p.containerPort === t.port));
    if (declaring) {
      t.server = declaring.name;
      why.push(t.port === undefined ? `server ${declaring.name}: it declares container ports` : `server ${declaring.name}: it declares containerPort ${t.port}`);
    } else if (others.length === 1) {
      t.server = others[0]!.name;
      why.push(`server ${others[0]!.name}: the only other container in the pod`);
    }
  }
  const server = all.find((c) => c.name === t.server);
  if (t.port === undefined && server?.ports[0]) {
    t.port = server.ports[0].containerPort;
    why.push(`port ${t.port}: the first containerPort ${server.name} declares`);
  }
  if (server && t.port !== undefined) {
    const extra = server.ports.map((p) => p.containerPort).filter((p) => p !== t.port);
    if (extra.length) t.extraPorts = extra;
  }
  if (!t.client && t.server) {
    const other = all.find((c) => c.name !== t.server);
    if (other) {
      t.client = other.name;
      why.push(`client ${other.name}: ${all.length === 2 ? 'the only other container' : 'the first other container'} in the pod`);
    }
  }
  if (t.address === undefined && t.port !== undefined) {
    t.address = '127.0.0.1';
    why.push('address 127.0.0.1: containers of one pod reach each other on loopback');
  }
}

/**
 * Who dials whom. Given flags win; the rest is inferred from the pod (and, for non-Seldon pods,
 * from the client's refusals in `logs`). Pure.
 */
export function inferTarget(req: TargetRequest, pod: PodEvidence | undefined, logs: LogEvidence[] = []): TargetEvidence {
  const t: TargetEvidence = { namespace: req.namespace, pod: req.pod, inferredFrom: [] };
  if (req.client) {
    t.client = req.client;
    t.inferredFrom.push(`client ${req.client}: given with --client`);
  }
  if (req.server) {
    t.server = req.server;
    t.inferredFrom.push(`server ${req.server}: given with --server`);
  }
  if (req.port !== undefined) {
    t.port = req.port;
    t.inferredFrom.push(`port ${req.port}: given with --port`);
  }
  if (!pod) return t;
  const names = new Set(runningContainers(pod).map((c) => c.name));
  for (const [flag, name] of [['--client', req.client], ['--server', req.server]] as const) {
    if (name && !names.has(name)) t.inferredFrom.push(`note: ${flag} ${name} is not a container of this pod (containers: ${[...names].join(', ')})`);
  }
  if (isSeldonServerPod(pod)) inferSeldon(req, pod, logs, t);
  else inferGeneric(req, pod, logs, t);
  return t;
}
