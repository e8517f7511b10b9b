/**
 * Looks inside the pod through pods/exec: the listening sockets (`/proc/net/tcp{,6}`, which are
 * per network namespace, so one container's view is the pod's), each container's network
 * namespace identity, and a dial from the client to the target address and to the pod IP.
 *
 * Exec runs fixed scripts only. Values derived from the pod or the user (address, port, pod
 * IP) are passed as positional parameters ($1..$3) — never spliced into the script text — so
 * nothing a user types can become shell syntax. Two execs in the usual case: the socket table
 * from the server container, the dial from the client.
 */
import type { V1Pod, V1SecurityContext } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import type { ClusterAccess, ExecResult } from '../cluster/types.js';
import { PodnetError } from '../errors.js';
import type { DialEvidence, NetnsEvidence, SocketTableEvidence, TargetEvidence } from '../evidence.js';
import { classifyDial, type DialReading, dialArgv, DIAL_CONNECT_TIMEOUT_S, DIAL_EXEC_TIMEOUT_MS, DIAL_SCRIPT, dialToolLabel } from './dial.js';
import { parseProcNetTcp } from './proc-net.js';
import { recordStep, runStep, type StepSink } from './step.js';

/** Prints the namespace and both socket tables, each after a marker line. */
export const TABLE_SCRIPT = 'echo @netns; readlink /proc/self/ns/net; echo @tcp; cat /proc/net/tcp; echo @tcp6; cat /proc/net/tcp6 2>/dev/null';
/** The dial script (see dial.ts); re-exported for callers that name it here. */
export { DIAL_SCRIPT };
/** Prints the namespace only (when there is no port to dial). */
export const NETNS_SCRIPT = 'echo @netns; readlink /proc/self/ns/net';

/**
 * Whether `host` may be handed to nc / bash as the address to dial: an IPv4 or IPv6 literal or
 * a DNS name. The address comes from pod env, container args or a log line (which anything
 * that writes to the log can shape), so a value like `-e/bin/sh` (an nc option) or
 * `../../tmp/x` (a path under bash's /dev/tcp) must never reach argv. Pure.
 */
export function isDialableHost(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return host.split('.').every((o) => Number(o) <= 255);
  if (host.includes(':')) return /^[0-9A-Fa-f:.]+$/.test(host) && /^[0-9A-Fa-f:]/.test(host);
  return /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(host);
}

/**
 * The image suggested when no container can dial: the official busybox image, whose busybox is
 * built with `make defconfig` (docker-library/busybox, latest-1/glibc/Dockerfile.builder), so
 * its nc has NC_110_COMPAT (-z, -v; DIAL_SCRIPT runs it with -vv, which prints the refusal)
 * and `timeout` is an applet. test/component/probe-dial-real.test.ts checks that reading on a
 * defconfig build of upstream busybox (.ci/busybox-upstream.sh). Its /etc/passwd has `nobody`
 * (65534), which the debug container runs as.
 */
export const SUGGESTED_DEBUG_IMAGE = 'busybox:1.36';

/**
 * The debug container's securityContext: what Pod Security `restricted` requires of every
 * container, ephemeral ones included (https://kubernetes.io/docs/concepts/security/pod-security-standards/,
 * "Restricted": allowPrivilegeEscalation false, runAsNonRoot true, runAsUser not 0, seccomp
 * RuntimeDefault or Localhost, capabilities drop ALL). Without it a restricted namespace
 * refuses the PATCH. A numeric non-root uid, because kubelet refuses runAsNonRoot for an image
 * whose user is root (busybox's is) when no runAsUser says otherwise. Reading /proc/net/tcp,
 * readlink /proc/self/ns/net and a TCP connect need no privilege.
 */
export const DEBUG_CONTAINER_SECURITY_CONTEXT = Object.freeze({
  runAsNonRoot: true,
  runAsUser: 65534,
  runAsGroup: 65534,
  allowPrivilegeEscalation: false,
  capabilities: Object.freeze({ drop: Object.freeze(['ALL']) }),
  seccompProfile: Object.freeze({ type: 'RuntimeDefault' }),
});

export interface InsideOptions {
  /** Attach an ephemeral debug container with this image when no container can dial. */
  debugContainerImage?: string;
  /** Per exec. Default 10 s. */
  execTimeoutMs?: number;
  /** How long to wait for the debug container to run. Default 30 s. */
  debugStartTimeoutMs?: number;
}

export interface InsideEvidence {
  sockets: SocketTableEvidence[];
  netns: NetnsEvidence[];
  dials: DialEvidence[];
  missingTools: { container: string; tool: string }[];
  debugContainer?: { name: string; image: string };
}

/** What one marker-delimited script printed. */
export interface ScriptOutput {
  netns?: string;
  netnsError?: string;
  tcp?: string;
  tcp6?: string;
  /** The dial tool the script found (a DialVariant: `openbsd`, `ncat`, `busybox`, `bash`, `none` …). */
  tool?: string;
  /** How each dial was bounded: `timeout 5`, `busybox timeout 5`, `watchdog` or `none`. */
  wrap?: string;
  /** `via`: the tool that made this dial (bash when the nc cannot, e.g. Debian busybox's). */
  dials: { host: string; port: string; via?: string; output: string; rc?: number }[];
}

/** Splits a script's stdout at its `@marker` lines. Pure. */
export function parseScriptOutput(stdout: string): ScriptOutput {
  const out: ScriptOutput = { dials: [] };
  let section: 'netns' | 'tcp' | 'tcp6' | 'dial' | undefined;
  const buf: Record<'netns' | 'tcp' | 'tcp6', string[]> = { netns: [], tcp: [], tcp6: [] };
  for (const line of stdout.split('\n')) {
    if (line === '@netns' || line === '@tcp' || line === '@tcp6') {
      section = line.slice(1) as 'netns' | 'tcp' | 'tcp6';
      continue;
    }
    const tool = line.match(/^@tool (\S+)$/);
    if (tool) {
      out.tool = tool[1];
      section = undefined;
      continue;
    }
    const wrap = line.match(/^@wrap (.+)$/);
    if (wrap) {
      out.wrap = wrap[1];
      section = undefined;
      continue;
    }
    const dial = line.match(/^@dial (\S*) (\S*)(?: (\S+))?$/);
    if (dial) {
      section = 'dial';
      out.dials.push({ host: dial[1]!, port: dial[2]!, ...(dial[3] ? { via: dial[3] } : {}), output: '' });
      continue;
    }
    const rc = line.match(/^@rc (\d+)$/);
    if (rc && section === 'dial') {
      const d = out.dials.at(-1);
      if (d) d.rc = Number(rc[1]);
      section = undefined;
      continue;
    }
    if (section === 'dial') {
      const d = out.dials.at(-1)!;
      d.output += (d.output ? '\n' : '') + line;
    } else if (section) buf[section].push(line);
  }
  const ns = buf.netns.map((l) => l.trim()).filter(Boolean);
  if (ns[0] && /^net:\[\d+\]$/.test(ns[0])) out.netns = ns[0];
  else if (ns.length) out.netnsError = ns.join(' ').slice(0, 200);
  if (buf.tcp.some((l) => l.trim())) out.tcp = buf.tcp.join('\n');
  if (buf.tcp6.some((l) => l.trim())) out.tcp6 = buf.tcp6.join('\n');
  return out;
}

/**
 * How a dial went, from the tool's words and exit status (see classifyDial in dial.ts, which
 * also gives the reason line). `variant` and `host` default to an unnamed nc and a literal. Pure.
 */
export function dialOutcome(output: string, rc: number | undefined, variant = 'nc', host = '127.0.0.1'): DialEvidence['outcome'] | 'no-tool' {
  return classifyDial({ variant, host, exitCode: rc, stdout: output }).outcome;
}

/** One dial of DIAL_SCRIPT, read: where to, which tool, and the outcome with its reason line. */
export interface ReadDial {
  host: string;
  port: number;
  /** The DialVariant that dialled. */
  variant: string;
  reading: DialReading;
}

/** Reads every dial DIAL_SCRIPT reported (the path probeInside takes; tests and the lab reuse it). Pure. */
export function readDials(out: ScriptOutput): ReadDial[] {
  return out.dials.map((d) => {
    const variant = d.via ?? out.tool ?? 'nc';
    const reading = classifyDial({ variant, host: d.host, exitCode: d.rc, stdout: d.output, ...(out.wrap ? { wrap: out.wrap } : {}) });
    return { host: d.host, port: Number(d.port), variant, reading };
  });
}

/** The executable a runtime failure says is missing (`exec: "sh": executable file not found`). */
export function missingExecutable(result: ExecResult): string | undefined {
  if (!result.failure) return undefined;
  const m = result.failure.match(/exec: "([^"]+)": executable file not found|"([^"]+)": (?:stat [^:]*: )?no such file or directory/);
  return m?.[1] ?? m?.[2] ?? (/not found/i.test(result.failure) ? 'sh' : undefined);
}

/** Where each container stands after the first round, to pick fallbacks. */
interface ToolState {
  noSh: Set<string>;
  noNc: Set<string>;
}

function containerNames(pod: V1Pod): string[] {
  return [
    ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name),
    ...(pod.spec?.containers ?? []).map((c) => c.name),
  ];
}

function runningNames(pod: V1Pod): Set<string> {
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  return new Set(statuses.filter((s) => s.state?.running).map((s) => s.name));
}

/** One run of the inside probes: the pod, what is known of its containers, and the evidence filled so far. */
interface InsideRun {
  cluster: ClusterAccess;
  ns: string;
  name: string;
  podIP: string | undefined;
  target: TargetEvidence;
  sink: StepSink;
  options: InsideOptions;
  ev: InsideEvidence;
  tools: ToolState;
  /** Running containers (exec only works in those). */
  usable: string[];
  /** The container that dials: the target's client, else the first that is not the server. */
  client: string | undefined;
  /** Where to read the socket table, server first. */
  tableOrder: string[];
  address: string;
  port: number | undefined;
  execOpts: { timeoutMs: number | undefined };
  dialExecOpts: { timeoutMs: number };
}

/**
 * Runs the inside probes. Failures (403 on exec, missing tools, timeouts) become steps and
 * `missingTools`; this never throws.
 */
export async function probeInside(
  cluster: ClusterAccess,
  pod: V1Pod,
  target: TargetEvidence,
  sink: StepSink,
  options: InsideOptions = {},
): Promise<InsideEvidence> {
  const run = insideRun(cluster, pod, target, sink, options);
  if (run.usable.length === 0) {
    recordStep(sink, { name: 'exec', ok: false, code: 'exec-failed', error: `no container of ${run.ns}/${run.name} is running: cannot look inside the pod` });
    return run.ev;
  }
  await Promise.all([readTables(run), dial(run)]);
  return run.ev;
}

function insideRun(cluster: ClusterAccess, pod: V1Pod, target: TargetEvidence, sink: StepSink, options: InsideOptions): InsideRun {
  const all = containerNames(pod);
  const running = runningNames(pod);
  // Exec only works in running containers; a crash-looping server is skipped, not failed.
  const usable = all.filter((c) => running.has(c));
  const client = target.client && usable.includes(target.client) ? target.client : usable.find((c) => c !== target.server);
  const tableOrder = [target.server, ...usable.filter((c) => c !== target.server && c !== client), client].filter(
    (c, i, a): c is string => !!c && usable.includes(c) && a.indexOf(c) === i,
  );
  return {
    cluster,
    ns: pod.metadata?.namespace ?? target.namespace,
    name: pod.metadata?.name ?? target.pod,
    podIP: pod.status?.podIP,
    target,
    sink,
    options,
    ev: { sockets: [], netns: [], dials: [], missingTools: [] },
    tools: { noSh: new Set(), noNc: new Set() },
    usable,
    client,
    tableOrder,
    address: target.address ?? '127.0.0.1',
    port: target.port,
    execOpts: { timeoutMs: options.execTimeoutMs },
    // The dial exec runs up to two bounded dials: give it their bound (dial.ts), never less.
    dialExecOpts: { timeoutMs: Math.max(options.execTimeoutMs ?? 10_000, DIAL_EXEC_TIMEOUT_MS) },
  };
}

function exec(run: InsideRun, container: string, argv: string[]): Promise<ExecResult> {
  return run.cluster.exec(run.ns, run.name, container, argv, run.execOpts);
}

/** Records that `container` lacks `tool` (once), so fallbacks know where not to try. */
function noteMissing(run: InsideRun, container: string, tool: string): void {
  if (!run.ev.missingTools.some((m) => m.container === container && m.tool === tool)) run.ev.missingTools.push({ container, tool });
  (tool === 'sh' ? run.tools.noSh : run.tools.noNc).add(container);
}

/** The first network namespace a container printed (or why it printed none). */
function noteNetns(run: InsideRun, container: string, out: ScriptOutput): void {
  if (run.ev.netns.some((n) => n.container === container)) return;
  run.ev.netns.push(out.netns ? { container, netns: out.netns } : { container, error: out.netnsError ?? 'no output from readlink /proc/self/ns/net' });
}

/** Socket table + netns from the first container with sh (server first); without any sh, plain argv. */
async function readTables(run: InsideRun): Promise<void> {
  for (const container of run.tableOrder) {
    const ok = await runStep(run.sink, `exec:sockets:${container}`, () => readTableWithShell(run, container));
    if (ok) return;
    // Only a missing shell is worth trying elsewhere; a 403 or timeout would repeat.
    if (!run.tools.noSh.has(container)) return;
  }
  // No container has sh: plain argv, no shell at all, in the first candidate.
  const container = run.tableOrder[0];
  if (!container) return;
  await runStep(run.sink, `exec:sockets-argv:${container}`, () => readTableWithArgv(run, container));
}

async function readTableWithShell(run: InsideRun, container: string): Promise<true> {
  const r = await exec(run, container, ['sh', '-c', TABLE_SCRIPT]);
  const tool = missingExecutable(r);
  if (tool) {
    noteMissing(run, container, tool);
    throw new PodnetError('no-tool', `container ${container} has no ${tool}: cannot read the socket table there`);
  }
  const out = parseScriptOutput(r.stdout);
  noteNetns(run, container, out);
  if (out.tcp === undefined && out.tcp6 === undefined) {
    throw new PodnetError('exec-failed', `reading /proc/net/tcp in ${container} printed nothing${r.stderr ? `: ${r.stderr.trim().split('\n')[0]}` : ''}`);
  }
  run.ev.sockets.push({
    readFrom: container,
    ...(out.netns ? { netns: out.netns } : {}),
    listeners: [...parseProcNetTcp(out.tcp ?? '', 'tcp'), ...parseProcNetTcp(out.tcp6 ?? '', 'tcp6')],
  });
  return true;
}

async function readTableWithArgv(run: InsideRun, container: string): Promise<void> {
  const [tcp, tcp6, link] = await Promise.all([
    exec(run, container, ['cat', '/proc/net/tcp']),
    exec(run, container, ['cat', '/proc/net/tcp6']),
    exec(run, container, ['readlink', '/proc/self/ns/net']),
  ]);
  const netns = link.exitCode === 0 ? link.stdout.trim() : undefined;
  run.ev.netns.push(netns ? { container, netns } : { container, error: link.failure ?? link.stderr.trim() });
  if (tcp.exitCode !== 0) {
    const tool = missingExecutable(tcp);
    if (tool) noteMissing(run, container, tool);
    throw new PodnetError(tool ? 'no-tool' : 'exec-failed', `cannot read /proc/net/tcp in ${container}: ${tcp.failure ?? tcp.stderr.trim()}`);
  }
  run.ev.sockets.push({
    readFrom: container,
    ...(netns ? { netns } : {}),
    listeners: [...parseProcNetTcp(tcp.stdout, 'tcp'), ...(tcp6.exitCode === 0 ? parseProcNetTcp(tcp6.stdout, 'tcp6') : [])],
  });
}

function dialArgs(run: InsideRun): string[] {
  if (run.port === undefined) return ['sh', '-c', NETNS_SCRIPT];
  // The pod IP as $3 (empty when it is the address already: one dial is enough).
  const second = run.podIP && run.podIP !== run.address ? run.podIP : '';
  return dialArgv(run.address, run.port, second);
}

/** One dial attempt from `container`; true when a dial result was recorded. */
async function dialFrom(run: InsideRun, container: string, stepName: string): Promise<boolean> {
  const { port, address } = run;
  const done = await runStep(run.sink, stepName, async () => {
    const r = await run.cluster.exec(run.ns, run.name, container, dialArgs(run), port === undefined ? run.execOpts : run.dialExecOpts);
    const tool = missingExecutable(r);
    if (tool) {
      noteMissing(run, container, tool);
      throw new PodnetError('no-tool', `container ${container} has no ${tool}: cannot dial from it`);
    }
    const out = parseScriptOutput(r.stdout);
    noteNetns(run, container, out);
    if (port === undefined) return true;
    let dialled = false;
    for (const { host, port: dialPort, variant, reading } of readDials(out)) {
      if (reading.outcome === 'no-tool') {
        noteMissing(run, container, 'nc');
        continue;
      }
      dialled = true;
      run.ev.dials.push({
        from: container,
        host,
        port: dialPort,
        ok: reading.outcome === 'connected',
        outcome: reading.outcome,
        ...(reading.detail ? { detail: reading.detail } : {}),
        tool: dialToolLabel(variant),
      });
    }
    if (!dialled) throw new PodnetError('no-tool', `container ${container} has neither nc nor bash: cannot dial ${address}:${port} from it`);
    return true;
  });
  return done === true;
}

/**
 * The dial: from the client; when only tools were missing there, nc with plain argv, then
 * another container or an ephemeral debug one; a step saying what to do when none could.
 */
async function dial(run: InsideRun): Promise<void> {
  const { client, port, address, target, sink, tools } = run;
  if (!client) return;
  if (port !== undefined && !isDialableHost(address)) {
    recordStep(sink, {
      name: 'exec:dial',
      ok: false,
      code: 'bad-input',
      error: `not dialling ${JSON.stringify(address.slice(0, 80))}: it is not an IP address or host name (from ${target.inferredFrom.find((w) => w.startsWith('address')) ?? 'the target'}); the dial was skipped`,
    });
    return;
  }
  if (port === undefined) {
    recordStep(sink, { name: 'exec:dial', ok: false, code: 'bad-input', error: 'no target port known: pass --port to dial it' });
  }
  if (await dialFrom(run, client, `exec:dial:${client}`)) return;
  if (port === undefined) return;
  const onlyToolsMissing = tools.noSh.has(client) || tools.noNc.has(client);
  if (!onlyToolsMissing) return; // a 403 or a timeout: another container would fare no better
  if (tools.noSh.has(client) && !tools.noNc.has(client) && (await dialWithArgv(run, client, port))) return;
  if (await dialFromAnother(run, client)) return;
  if (run.ev.dials.length === 0) {
    const lacking = run.ev.missingTools.map((m) => `${m.container}: no ${m.tool}`).join('; ');
    recordStep(sink, {
      name: 'exec:dial',
      ok: false,
      code: 'no-tool',
      error: `no container could dial ${address}:${port} (${lacking}) — rerun with --debug-container ${SUGGESTED_DEBUG_IMAGE} to dial from an ephemeral container`,
    });
  }
}

/** No shell, maybe nc: dial with plain argv (the address and port are argv elements). True when recorded. */
async function dialWithArgv(run: InsideRun, client: string, port: number): Promise<boolean> {
  const { address } = run;
  const ok = await runStep(run.sink, `exec:dial-argv:${client}`, async () => {
    const r = await exec(run, client, ['nc', '-v', '-z', '-w', String(DIAL_CONNECT_TIMEOUT_S), address, String(port)]);
    const tool = missingExecutable(r);
    if (tool) {
      noteMissing(run, client, tool);
      throw new PodnetError('no-tool', `container ${client} has no ${tool}: cannot dial from it`);
    }
    const reading = classifyDial({ variant: 'nc', host: address, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr });
    if (reading.outcome === 'no-tool') throw new PodnetError('no-tool', `container ${client} has no nc`);
    run.ev.dials.push({ from: client, host: address, port, ok: reading.outcome === 'connected', outcome: reading.outcome, ...(reading.detail ? { detail: reading.detail } : {}), tool: 'nc' });
    return true;
  });
  return ok === true;
}

/**
 * The pod shares one network namespace: a dial from another container (or an ephemeral debug
 * container, when the user asked for one) to the same address tests the same listener.
 */
async function dialFromAnother(run: InsideRun, client: string): Promise<boolean> {
  const { options, tools } = run;
  if (options.debugContainerImage) {
    const debug = await attachDebugContainer(run.cluster, run.ns, run.name, options.debugContainerImage, run.sink, options.debugStartTimeoutMs ?? 30_000);
    if (!debug) return false;
    run.ev.debugContainer = { name: debug, image: options.debugContainerImage };
    return dialFrom(run, debug, `exec:dial:${debug}`);
  }
  for (const other of run.usable.filter((c) => c !== client && !tools.noSh.has(c) && !tools.noNc.has(c)).slice(0, 1)) {
    if (await dialFrom(run, other, `exec:dial:${other}`)) return true;
  }
  return false;
}

/**
 * Adds an ephemeral container (opt-in) and waits until it runs. Returns its name, or undefined
 * after recording why it could not be used.
 */
async function attachDebugContainer(
  cluster: ClusterAccess,
  namespace: string,
  pod: string,
  image: string,
  sink: StepSink,
  startTimeoutMs: number,
): Promise<string | undefined> {
  const name = `podnet-debug-${randomBytes(3).toString('hex')}`;
  const result = await runStep(sink, 'debug-container', async () => {
    await cluster.addEphemeralContainer(namespace, pod, {
      name,
      image,
      command: ['sleep', '3600'],
      stdin: false,
      tty: false,
      securityContext: structuredClone(DEBUG_CONTAINER_SECURITY_CONTEXT) as V1SecurityContext,
    });
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      const p = await cluster.getPod(namespace, pod);
      const st = p.status?.ephemeralContainerStatuses?.find((s) => s.name === name);
      if (st?.state?.running) return name;
      if (st?.state?.terminated) throw new PodnetError('exec-failed', `debug container ${name} exited: ${st.state.terminated.reason ?? 'terminated'}`);
      if (Date.now() > deadline) {
        throw new PodnetError('timeout', `debug container ${name} (${image}) did not start within ${Math.round(startTimeoutMs / 1000)} s${st?.state?.waiting?.reason ? ` (${st.state.waiting.reason})` : ''}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  });
  return result;
}
