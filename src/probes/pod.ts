/**
 * Pod spec and status → {@link PodEvidence}. Env values are kept only when literal and not
 * secret-like; a secretKeyRef is recorded by reference and never read. Probe ports given by
 * name are resolved to numbers, because the analysis compares them with listener ports.
 */
import type {
  V1Container,
  V1ContainerState,
  V1ContainerStatus,
  V1EnvVar,
  V1EphemeralContainer,
  V1Pod,
  V1Probe,
} from '@kubernetes/client-node';
import type {
  ContainerEvidence,
  ContainerStateEvidence,
  EnvVarEvidence,
  PodEvidence,
  ProbeSpecEvidence,
} from '../evidence.js';
import { isSecretName, REDACTED, redactSecrets } from '../logscan/redact.js';
import { toIso } from './step.js';

/**
 * Env names whose values are withheld whatever they look like: anything {@link isSecretName}
 * takes (`DB_PASSWORD`, `DB_PASS`, `ADMIN_PW`, `PASS`, `SENTRY_DSN`, `COOKIE_SALT`,
 * `SESSION_SIGNING`, `SLACK_BOT_TOKEN`), plus names that hold a key or credential anywhere
 * (`AWS_KEY_ID`, `PRIVATE_KEY_PATH`, `CREDENTIALS_JSON`, `AUTH_HEADER`).
 */
const SECRET_NAME = /TOKEN|SECRET|PASSW(OR)?D|PASSPHRASE|(^|_)KEY($|_)|APIKEY|CREDENTIAL|PRIVATE|AUTH(ORIZATION)?($|_)|(^|_)(PASS|PW|PWD|DSN|SALT|SIGNING|COOKIE)($|_)/i;

/** True when a literal env value looks like a credential and must not leave the cluster. */
export function looksSecret(name: string, value: string): boolean {
  if (SECRET_NAME.test(name) || isSecretName(name)) return true;
  if (redactSecrets(value) !== value || redactSecrets(`${name}=${value}`) !== `${name}=${value}`) return true;
  // Long opaque strings with letters and digits: random tokens, base64 keys.
  return value.length >= 32 && /^[A-Za-z0-9+/=_.-]+$/.test(value) && /[0-9]/.test(value) && /[A-Za-z]/.test(value);
}

/** `-p` takes a password in mysql-style tools, a port or a path elsewhere: only the former is withheld. */
const NOT_A_PASSWORD = /^(?:[0-9.]+:)?[0-9]{1,5}(?::[0-9]{1,5})?(?:\/(?:tcp|udp|sctp))?$|^[/.~$]/;

/** A flag whose NEXT argument is a secret: `--password hunter2`, `--db-pass x`, `--api-key K`, `-token T`, `-p x`. */
function secretFlag(flag: string, next: string): boolean {
  if (!flag.startsWith('-') || flag.includes('=')) return false;
  if (flag === '-p') return !next.startsWith('-') && !NOT_A_PASSWORD.test(next);
  return isSecretName(flag);
}

/**
 * Container command/args as evidence: `--password=x`, `--auth=user:pw`, `-pX` and token-like
 * values are redacted like free text, and the value after a secret-named flag (`--password x`,
 * `--pass x`, `-p x`) is withheld, since the evidence file is uploaded to Slack and printed by
 * `podnet check --json`. Ports and paths after `-p` (`-p 8080`, `mkdir -p /data`) stay.
 */
export function argvEvidence(argv: string[] | undefined): string[] {
  const list = argv ?? [];
  return list.map((a, i) => (i > 0 && secretFlag(list[i - 1]!, a) ? REDACTED : redactSecrets(a)));
}

/** Env vars as evidence: literal non-secret values, references by name only. */
export function envEvidence(env: V1EnvVar[] | undefined): EnvVarEvidence[] {
  return (env ?? []).map((e): EnvVarEvidence => {
    const from = e.valueFrom;
    if (from?.secretKeyRef) return { name: e.name, from: 'secretKeyRef', ref: `${from.secretKeyRef.name ?? ''}/${from.secretKeyRef.key}` };
    if (from?.configMapKeyRef) return { name: e.name, from: 'configMapKeyRef', ref: `${from.configMapKeyRef.name ?? ''}/${from.configMapKeyRef.key}` };
    if (from?.fieldRef) return { name: e.name, from: 'fieldRef', ref: from.fieldRef.fieldPath };
    if (from?.resourceFieldRef) return { name: e.name, from: 'resourceFieldRef', ref: from.resourceFieldRef.resource };
    const value = e.value ?? '';
    if (looksSecret(e.name, value)) return { name: e.name, from: 'literal', masked: true };
    return { name: e.name, from: 'literal', value };
  });
}

function stateEvidence(s: V1ContainerState | undefined): ContainerStateEvidence | undefined {
  if (!s) return undefined;
  if (s.running) return { state: 'running', startedAt: toIso(s.running.startedAt) };
  if (s.terminated) {
    const t = s.terminated;
    return {
      state: 'terminated',
      reason: t.reason,
      message: t.message,
      exitCode: t.exitCode,
      signal: t.signal,
      startedAt: toIso(t.startedAt),
      finishedAt: toIso(t.finishedAt),
    };
  }
  if (s.waiting) return { state: 'waiting', reason: s.waiting.reason, message: s.waiting.message };
  return undefined;
}

function resolvePort(port: number | string | undefined, container: V1Container | V1EphemeralContainer): number | undefined {
  if (port === undefined) return undefined;
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function probeEvidence(kind: ProbeSpecEvidence['kind'], p: V1Probe | undefined, c: V1Container | V1EphemeralContainer): ProbeSpecEvidence | undefined {
  if (!p) return undefined;
  // Kubernetes defaults, so the analysis can compute how long a failing server survives.
  const base = {
    kind,
    initialDelaySeconds: p.initialDelaySeconds ?? 0,
    periodSeconds: p.periodSeconds ?? 10,
    timeoutSeconds: p.timeoutSeconds ?? 1,
    failureThreshold: p.failureThreshold ?? 3,
  };
  if (p.httpGet) return { ...base, handler: 'httpGet', port: resolvePort(p.httpGet.port, c), host: p.httpGet.host, path: p.httpGet.path };
  if (p.tcpSocket) return { ...base, handler: 'tcpSocket', port: resolvePort(p.tcpSocket.port, c), host: p.tcpSocket.host };
  if (p.grpc) return { ...base, handler: 'grpc', port: p.grpc.port };
  return { ...base, handler: 'exec' };
}

function containerEvidence(
  c: V1Container | V1EphemeralContainer,
  kind: ContainerEvidence['kind'],
  status: V1ContainerStatus | undefined,
): ContainerEvidence {
  const probes = [
    probeEvidence('liveness', c.livenessProbe, c),
    probeEvidence('readiness', c.readinessProbe, c),
    probeEvidence('startup', c.startupProbe, c),
  ].filter((p): p is ProbeSpecEvidence => p !== undefined);
  const ev: ContainerEvidence = {
    name: c.name,
    image: c.image ?? '',
    kind,
    command: argvEvidence(c.command),
    args: argvEvidence(c.args),
    ports: (c.ports ?? []).map((p) => ({ ...(p.name ? { name: p.name } : {}), containerPort: p.containerPort, protocol: p.protocol ?? 'TCP' })),
    env: envEvidence(c.env),
    resources: {
      ...(c.resources?.requests ? { requests: { ...c.resources.requests } } : {}),
      ...(c.resources?.limits ? { limits: { ...c.resources.limits } } : {}),
    },
    probes,
  };
  if (c.restartPolicy) ev.restartPolicy = c.restartPolicy;
  if (status) {
    ev.status = {
      ready: status.ready,
      ...(status.started === undefined ? {} : { started: status.started }),
      restartCount: status.restartCount,
      state: stateEvidence(status.state) ?? { state: 'unknown' },
      ...(stateEvidence(status.lastState) ? { lastState: stateEvidence(status.lastState) } : {}),
    };
  }
  return ev;
}

/** The pod as evidence. Pure. */
export function podEvidence(pod: V1Pod): PodEvidence {
  const spec = pod.spec;
  const st = pod.status;
  const statusOf = (list: V1ContainerStatus[] | undefined, name: string) => list?.find((s) => s.name === name);
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}),
    ...(spec?.nodeName ? { nodeName: spec.nodeName } : {}),
    ...(st?.podIP ? { podIP: st.podIP } : {}),
    podIPs: (st?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip),
    ...(st?.hostIP ? { hostIP: st.hostIP } : {}),
    hostNetwork: spec?.hostNetwork ?? false,
    ...(spec?.shareProcessNamespace === undefined ? {} : { shareProcessNamespace: spec.shareProcessNamespace }),
    ...(st?.phase ? { phase: st.phase } : {}),
    ...(st?.startTime ? { startTime: toIso(st.startTime) } : {}),
    labels: { ...(pod.metadata?.labels ?? {}) },
    ...(owner ? { owner: { kind: owner.kind, name: owner.name } } : {}),
    conditions: (st?.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.lastTransitionTime ? { lastTransitionTime: toIso(c.lastTransitionTime) } : {}),
    })),
    containers: (spec?.containers ?? []).map((c) => containerEvidence(c, 'container', statusOf(st?.containerStatuses, c.name))),
    initContainers: (spec?.initContainers ?? []).map((c) => containerEvidence(c, 'init', statusOf(st?.initContainerStatuses, c.name))),
    ephemeralContainers: (spec?.ephemeralContainers ?? []).map((c) =>
      containerEvidence(c, 'ephemeral', statusOf(st?.ephemeralContainerStatuses, c.name)),
    ),
  };
}
