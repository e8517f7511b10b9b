/**
 * Lab mode: a scenario's pods as real network namespaces of this machine's kernel, with real
 * listening sockets and real tools, so that what podnet reads inside a pod (`readlink
 * /proc/self/ns/net`, `/proc/net/tcp{,6}`, nc/bash dials) is the kernel's answer, not the
 * simulator's model of it.
 *
 * Topology (one lab; every name `podnet-PID-L<n>-…`, see names.ts):
 * - a NODE namespace standing for the node: bridge `br0` carrying 169.254.1.1 (the pods'
 *   gateway, as Calico's) and fe80::1, the cluster DNS address (10.43.0.10, answered by an
 *   NXDOMAIN responder), every pod's hostIP and the IPs of hostNetwork pods; a /32 (/128)
 *   route per pod IP, IP forwarding on (pod to pod goes through the node, as with a CNI) and a
 *   blackhole default route, so a packet for any address that is neither a pod's nor the
 *   node's is dropped silently there: a dial to it times out, as to an unroutable address or
 *   through a DROP rule on a real cluster.
 * - a namespace per pod (`netns: shared`): `lo` up, `eth0` (a veth whose peer is on br0)
 *   carrying every IP of status.podIPs (IPv4 /32, IPv6 /128), default routes via the node;
 *   /etc/hosts and /etc/resolv.conf as kubelet writes them (bound over /etc by `ip netns
 *   exec`, from /etc/netns/NAME/ — ip-netns(8)).
 * - `netns: per-container` (a runtime fault): one namespace per container, each with lo and an
 *   eth0 holding the pod IP, linked to nothing (which of them a real broken runtime gives
 *   the IP is unknowable; the simulator treats the pod IP as each container's own).
 * - hostNetwork pods: their containers run in the NODE namespace.
 * - NetworkPolicies: an nft table in the namespace of each pod they select, ending the
 *   pod's ingress in REJECT (K3s: kube-router's `REJECT --reject-with icmp-port-unreachable`)
 *   or DROP (other CNIs), loopback and replies always allowed (policy.ts).
 *
 * Listeners: one helper process per (namespace, container, uid), see helper-script.ts. An
 * exec is `ip netns exec NS ARGV` with PATH = a dir of symlinks holding exactly the
 * container's tools, stdin /dev/null, killed (its process group) at the timeout.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PodnetError } from '../errors.js';
import type { Scenario, ScenarioObject } from '../sim/scenario.js';
import { containerNames } from '../sim/scenario.js';
import { runtimeFailure, type ExecOutcome } from '../sim/shell/index.js';
import { CLUSTER_DNS_IP, kubeletHostsFile, kubeletResolvConf } from './files.js';
import { HELPER_SCRIPT } from './helper-script.js';
import { ETC_NETNS, labName, removeLeftovers, removeNetns } from './names.js';
import { policyRuleset, rejectsOnThisCluster } from './policy.js';
import { labPrerequisites } from './preflight.js';
import { fillBinDir, type ToolVariants } from './tools.js';

/** Options for {@link startLab}. */
export interface LabOptions {
  /** Which real programs the tools are (default: dash, netcat-openbsd, GNU coreutils). */
  tools?: ToolVariants;
  /** Longest an exec may run before its process group is killed (default 30 s). */
  execTimeoutMs?: number;
  /**
   * Remove the lab on SIGINT/SIGTERM/SIGHUP and at exit (entry points set this; a library
   * caller closes the lab itself). Another handler for the signal still runs; with none, the
   * signal is raised again after the clean-up so the process ends as it would have.
   */
  handleSignals?: boolean;
  /** The scenario file's name, for error messages. */
  label?: string;
}

/** One exec into a lab container. */
export interface LabExecRequest {
  /** `NAMESPACE/POD`. */
  pod: string;
  container: string;
  /** Set for an ephemeral container: the container it targets, if any. */
  ephemeral?: { target?: string };
  /** Executables in the image. */
  tools: readonly string[];
  argv: string[];
  /** Default: the lab's execTimeoutMs. */
  timeoutMs?: number;
  /** Aborts the exec (the client went away): the process group is killed. */
  signal?: AbortSignal;
}

/** A running lab. */
export interface Lab {
  /** `podnet-PID-L<n>`: the prefix of everything this lab created. */
  readonly name: string;
  /** The network namespace a container's processes run in. */
  netnsOf(pod: string, container?: string, ephemeral?: { target?: string }): string;
  /** Every namespace the lab created (the node's included). */
  namespaces(): string[];
  /** Tools the scenario names that this machine has no program for (absent in the lab). */
  readonly missingTools: ReadonlySet<string>;
  /**
   * Brings the listeners in line with the scenario as it stands now (timeline `listen` and
   * `restart` entries: a restarted container's sockets are closed and opened again).
   */
  sync(scenario: Scenario): Promise<void>;
  /** Runs argv in the container's namespace with its tools; never throws for the command's own failure. */
  exec(request: LabExecRequest): Promise<ExecOutcome>;
  /** Stops every helper and removes every namespace, file and dir of the lab. */
  close(): Promise<void>;
  /** The same, synchronously (signal and exit handlers). */
  closeSync(): void;
}

type Obj = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A namespace's helper process and the listener set it was started for. */
interface Helper {
  key: string;
  child: ChildProcess;
}

/** One socket to open: as the scenario writes it, and where in the file it is. */
interface WantedSocket {
  host: string;
  port: number;
  v6only: boolean;
  uid: number;
  ref: string;
}

let labSeq = 0;
/** iproute2's ip, by absolute path: an exec's environment has only the container's bin dir on PATH. */
const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p)) ?? 'ip';
/** Cap on what one exec may print (per stream): the probes read a few KiB. */
const MAX_OUTPUT = 4 << 20;

/** Runs `ip [-n NS] -batch -` over these command lines (one process, not one per line). */
function ipBatch(ns: string | undefined, lines: string[]): void {
  if (lines.length === 0) return;
  try {
    execFileSync(IP, [...(ns ? ['-n', ns] : []), '-batch', '-'], { input: `${lines.join('\n')}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim();
    throw new PodnetError('internal', `lab: ip ${ns ? `-n ${ns} ` : ''}-batch failed: ${stderr || (err as Error).message}`);
  }
}

const isV6 = (a: string): boolean => a.includes(':');
const prefixed = (a: string): string => (isV6(a) ? `${a}/128` : `${a}/32`);
const nodad = (a: string): string => (isV6(a) ? ' nodad' : '');

function podIPsOf(pod: Obj): string[] {
  const status = (pod.status ?? {}) as Obj;
  const list = ((status.podIPs ?? []) as Obj[]).map((p) => str(p.ip)).filter((x): x is string => !!x);
  const one = str(status.podIP);
  if (one && !list.includes(one)) list.unshift(one);
  return list;
}

/**
 * Builds a lab for the scenario. Throws PodnetError('bad-input') with one line when this
 * machine cannot run one (labPrerequisites) or the kernel refuses a listener the scenario
 * asks for (that scenario cannot exist). Removes leftovers of crashed labs first.
 */
export async function startLab(scenario: Scenario, options: LabOptions = {}): Promise<Lab> {
  const missing = labPrerequisites(options.tools);
  if (missing) throw new PodnetError('bad-input', missing);
  removeLeftovers();
  const labId = labName(process.pid, `L${++labSeq}`);
  const label = options.label ?? scenario.metadata.name;
  const work = mkdtempSync(join(tmpdir(), `${labId}-`));
  const created: string[] = [];
  const helpers = new Map<string, Helper>();
  const binDirs = new Map<string, string>();
  const missingTools = new Set<string>();
  let closed = false;
  writeFileSync(join(work, 'helper.mjs'), HELPER_SCRIPT);

  const pods = scenario.objects.filter((o) => o.kind === 'Pod') as unknown as Obj[];
  const podKey = (p: Obj): string => `${str((p.metadata as Obj).namespace) ?? 'default'}/${str((p.metadata as Obj).name) ?? ''}`;
  const podByKey = new Map(pods.map((p) => [podKey(p), p]));
  const nodeNs = `${labId}-node`;
  /** `NS/POD` → namespace per container name ('' = the pod's own, shared by its containers). */
  const nsOf = new Map<string, Map<string, string>>();

  const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const closeSync = (): void => {
    if (closed) return;
    closed = true;
    for (const h of helpers.values()) h.child.kill('SIGKILL');
    helpers.clear();
    for (const ns of created.reverse()) removeNetns(ns);
    rmSync(work, { recursive: true, force: true });
    if (options.handleSignals) for (const sig of SIGNALS) process.off(sig, onSignal);
    process.off('exit', closeSync);
  };
  function onSignal(signal: NodeJS.Signals): void {
    const others = process.listenerCount(signal) > 1;
    closeSync();
    if (!others) process.kill(process.pid, signal);
  }
  process.on('exit', closeSync);
  if (options.handleSignals) for (const sig of SIGNALS) process.on(sig, onSignal);

  const addNs = (name: string): void => {
    try {
      execFileSync(IP, ['netns', 'add', name], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      throw new PodnetError('internal', `lab: ip netns add ${name} failed: ${String((err as { stderr?: Buffer }).stderr ?? '').trim()}`);
    }
    created.push(name);
  };

  const nodeAddrs = new Set<string>(['169.254.1.1', CLUSTER_DNS_IP]);
  try {
    // --- the node
    addNs(nodeNs);
    for (const p of pods) {
      const hostIP = str((p.status as Obj | undefined)?.hostIP);
      if (hostIP) nodeAddrs.add(hostIP);
      if ((p.spec as Obj | undefined)?.hostNetwork === true) for (const a of podIPsOf(p)) nodeAddrs.add(a);
    }
    const node = ['link set lo up', 'link add br0 type bridge', 'link set br0 up', 'addr add fe80::1/64 dev br0 nodad'];
    for (const a of nodeAddrs) node.push(`addr add ${prefixed(a)} dev br0${nodad(a)}`);
    const nodeRoutes: string[] = [];
    const links: string[] = [];
    const plan = new Map<string, { cmds: string[]; ips: string[]; linked: boolean; veth: string; rules?: string }>();

    // --- the pods the scenario models (their listeners, tools and logs live in `pods:`)
    let seq = 0;
    for (const key of Object.keys(scenario.pods)) {
      const pod = podByKey.get(key);
      if (!pod) continue;
      const spec = (pod.spec ?? {}) as Obj;
      const meta = pod.metadata as Obj;
      const ips = podIPsOf(pod);
      const byContainer = new Map<string, string>();
      nsOf.set(key, byContainer);
      if (spec.hostNetwork === true) {
        byContainer.set('', nodeNs);
        continue;
      }
      const n = seq++;
      const base = `${labId}-${n}-${str(meta.name) ?? 'pod'}`.slice(0, 56);
      const hostname = str(spec.hostname) ?? str(meta.name) ?? 'pod';
      const sub = str(spec.subdomain);
      const fqdn = sub ? `${hostname}.${sub}.${str(meta.namespace) ?? 'default'}.svc.cluster.local` : undefined;
      const files = { hosts: kubeletHostsFile(ips, hostname, fqdn), 'resolv.conf': kubeletResolvConf(str(meta.namespace) ?? 'default') };
      const perContainer = scenario.pods[key]?.netns === 'per-container';
      const names = perContainer ? containerNames(pod as unknown as ScenarioObject).map((c, i) => [c, `${base}-c${i}`] as const) : [['', base] as const];
      const rules = policyRuleset(scenario, key, { reject: rejectsOnThisCluster(scenario), table: `${labId}-policy`, nodeAddrs: [...nodeAddrs] });
      for (const [i, [container, ns]] of names.entries()) {
        addNs(ns);
        byContainer.set(container, ns);
        mkdirSync(join(ETC_NETNS, ns), { recursive: true });
        for (const [f, text] of Object.entries(files)) writeFileSync(join(ETC_NETNS, ns, f), text);
        const cmds = ['link set lo up'];
        // A veth whose peer stays in the namespace: the IP is local there and reaches nothing
        // (no `dummy` driver needed; some kernels, e.g. Firecracker guests, lack it).
        if (perContainer) cmds.push('link add eth0 type veth peer name eth0-peer', 'link set eth0-peer up');
        else links.push(`link add v${n}x${i} netns ${nodeNs} type veth peer name eth0 netns ${ns}`);
        plan.set(ns, { cmds, ips, linked: !perContainer, veth: `v${n}x${i}` });
        if (rules) plan.get(ns)!.rules = rules;
      }
    }
    ipBatch(undefined, links);
    for (const [ns, p] of plan) {
      const cmds = [...p.cmds, ...p.ips.map((a) => `addr add ${prefixed(a)} dev eth0${nodad(a)}`), 'link set eth0 up'];
      if (p.linked) {
        cmds.push('route add 169.254.1.1 dev eth0 scope link', 'route add default via 169.254.1.1 dev eth0');
        if (p.ips.some(isV6)) cmds.push('route add default via fe80::1 dev eth0');
        node.push(`link set ${p.veth} master br0 up`);
        for (const a of p.ips) nodeRoutes.push(`route add ${prefixed(a)} dev br0`);
      }
      ipBatch(ns, cmds);
      if (p.rules) nft(ns, p.rules);
    }
    // The node routes pod to pod (forwarding on, as a CNI's node does); anything else goes to a
    // blackhole, which discards forwarded packets silently (ip-route(8)): a dial to an address no
    // pod or node has times out, as on a cluster, instead of an ICMP "Network is unreachable".
    ipBatch(nodeNs, [...node, ...nodeRoutes, 'route add blackhole 0.0.0.0/0', 'route add blackhole ::/0']);
    execFileSync(IP, ['netns', 'exec', nodeNs, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward && echo 1 > /proc/sys/net/ipv6/conf/all/forwarding'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    closeSync();
    throw err;
  }

  function nft(ns: string, ruleset: string): void {
    try {
      execFileSync(IP, ['netns', 'exec', ns, 'nft', '-f', '-'], { input: ruleset, stdio: ['pipe', 'ignore', 'pipe'] });
    } catch (err) {
      throw new PodnetError('internal', `lab: nft in ${ns} failed: ${String((err as { stderr?: Buffer }).stderr ?? '').trim()}`);
    }
  }

  /** Starts a helper in a namespace; resolves when it says it is ready, rejects with its refusal. */
  function startHelper(ns: string, request: Obj): Promise<ChildProcess> {
    return new Promise((resolve, reject) => {
      const child = spawn('nsenter', [`--net=/run/netns/${ns}`, process.execPath, join(work, 'helper.mjs'), JSON.stringify(request)], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4096);
      });
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      lines.once('line', (line) => {
        let reply: Obj;
        try {
          reply = JSON.parse(line) as Obj;
        } catch {
          reply = { ok: false, message: line };
        }
        if (reply.ok === true) resolve(child);
        else {
          child.kill('SIGKILL');
          reject(Object.assign(new Error(String(reply.message ?? 'helper failed')), { index: reply.index, code: reply.code }));
        }
      });
      child.once('exit', (code) => reject(new Error(`lab helper in ${ns} exited (${String(code)}): ${stderr.trim()}`)));
      child.once('error', reject);
    });
  }

  const netnsOf = (pod: string, container?: string, ephemeral?: { target?: string }): string => {
    const byContainer = nsOf.get(pod);
    if (!byContainer) throw new PodnetError('not-found', `lab: pod ${pod} has no namespace (only pods under \`pods:\` in ${label} are built)`);
    const shared = byContainer.get('');
    if (shared) return shared;
    const name = ephemeral ? ephemeral.target : container;
    const own = name !== undefined ? byContainer.get(name) : undefined;
    if (own) return own;
    // A debug container with no target in a broken runtime: a namespace of its own.
    let fresh = byContainer.get('#debug');
    if (!fresh) {
      fresh = `${[...byContainer.values()][0] ?? `${labId}-x`}-dbg`;
      addNs(fresh);
      ipBatch(fresh, ['link set lo up']);
      byContainer.set('#debug', fresh);
    }
    return fresh;
  };

  /** What should listen in each namespace, in the scenario's order (the order binds happen in). */
  function desired(s: Scenario): Map<string, WantedSocket[]> {
    const out = new Map<string, WantedSocket[]>([[nodeNs, []]]);
    for (const [key, sim] of Object.entries(s.pods)) {
      if (!nsOf.has(key)) continue;
      for (const [cname, c] of Object.entries(sim.containers)) {
        const ns = netnsOf(key, cname);
        const list = out.get(ns) ?? out.set(ns, []).get(ns)!;
        c.listen.forEach((l, i) => {
          list.push({ host: l.address.replace(/^\[|\]$/g, ''), port: l.port, v6only: l.v6only === true, uid: l.uid ?? 0, ref: `pods[${JSON.stringify(key)}].containers.${cname}.listen[${i}]` });
        });
      }
    }
    return out;
  }

  /** Restart counts per namespace: a restarted container's sockets are new sockets. */
  function restarts(s: Scenario): Map<string, number> {
    const out = new Map<string, number>();
    for (const key of Object.keys(s.pods)) {
      if (!nsOf.has(key)) continue;
      const podObj = s.objects.find((o) => o.kind === 'Pod' && `${o.metadata.namespace}/${o.metadata.name}` === key) as unknown as Obj | undefined;
      for (const st of (((podObj?.status ?? {}) as Obj).containerStatuses ?? []) as Obj[]) {
        const ns = netnsOf(key, str(st.name));
        out.set(ns, (out.get(ns) ?? 0) + Number(st.restartCount ?? 0));
      }
    }
    return out;
  }

  let syncing: Promise<void> = Promise.resolve();
  const sync = (s: Scenario): Promise<void> => {
    const run = syncing.catch(() => undefined).then(async () => {
      if (closed) return;
      const want = desired(s);
      const counts = restarts(s);
      await Promise.all(
        [...want].map(async ([ns, sockets]) => {
          const dns = ns === nodeNs ? { host: CLUSTER_DNS_IP, port: 53 } : undefined;
          if (sockets.length === 0 && !dns) return;
          const key = JSON.stringify([sockets.map(({ host, port, v6only, uid }) => [host, port, v6only, uid]), counts.get(ns) ?? 0]);
          const running = helpers.get(ns);
          if (running?.key === key) return;
          if (running) {
            helpers.delete(ns);
            const exited = new Promise((r) => running.child.once('exit', r));
            running.child.kill('SIGKILL');
            if (running.child.exitCode === null && running.child.signalCode === null) await exited;
          }
          try {
            const child = await startHelper(ns, { sockets: sockets.map(({ host, port, v6only, uid }) => ({ host, port, v6only, uid })), ...(dns ? { dns } : {}) });
            helpers.set(ns, { key, child });
          } catch (err) {
            const e = err as Error & { index?: number; code?: string };
            const sock = sockets[e.index ?? -1];
            if (!sock) throw new PodnetError('internal', `lab: ${e.message}`);
            const hint = e.code === 'EADDRINUSE' ? ' — another socket in the namespace already holds that address and port (a tcp6 `::` socket without v6only takes IPv4 too: set v6only: true, as Redis does when it binds both)' : '';
            throw new PodnetError('bad-input', `Scenario file ${label}: ${sock.ref}: the kernel refused to listen on ${isV6(sock.host) ? `[${sock.host}]` : sock.host}:${sock.port}${sock.v6only ? ' (v6only)' : ''}: ${e.code ?? ''} ${e.message}${hint}.`, {
              detail: { file: label, path: sock.ref },
            });
          }
        }),
      );
    });
    syncing = run;
    return run;
  };

  const exec = async (req: LabExecRequest): Promise<ExecOutcome> => {
    await syncing;
    if (closed) throw new PodnetError('internal', 'lab: closed');
    const ns = netnsOf(req.pod, req.container, req.ephemeral);
    const toolsKey = createHash('sha1').update(JSON.stringify([...req.tools].sort())).digest('hex').slice(0, 12);
    let bin = binDirs.get(toolsKey);
    if (!bin) {
      bin = join(work, `bin-${toolsKey}`);
      for (const t of fillBinDir(bin, req.tools, options.tools)) missingTools.add(t);
      binDirs.set(toolsKey, bin);
    }
    const [namespace = '', podName = ''] = req.pod.split('/');
    const ctx = { namespace, pod: podName, container: req.container };
    const name = req.argv[0] ?? '';
    const base = name.slice(name.lastIndexOf('/') + 1);
    // The runtime resolves argv[0] in the image: an absolute path must exist there; a bare name on PATH.
    if (!base || !existsSync(join(bin, base))) {
      const why = name === '' ? 'exec: "": executable file not found in $PATH' : name.includes('/') ? `exec: "${name}": stat ${name}: no such file or directory` : `exec: "${name}": executable file not found in $PATH`;
      return { stdout: '', stderr: '', exitCode: 0, failure: runtimeFailure(ctx as never, req.argv, why) };
    }
    // ip netns exec finds argv[0] on PATH (the bin dir), so the program sees the name it was
    // called by, as under runc; an absolute path becomes its basename (the lab has no image root).
    const argv = [base, ...req.argv.slice(1)];
    return runIn(ns, argv, bin, req.timeoutMs ?? options.execTimeoutMs ?? 30_000, req.signal);
  };

  await sync(scenario).catch((err: unknown) => {
    closeSync();
    throw err;
  });

  return {
    name: labId,
    netnsOf,
    namespaces: () => [...created],
    missingTools,
    sync,
    exec,
    close: async () => {
      await syncing.catch(() => undefined);
      closeSync();
    },
    closeSync,
  };
}

/**
 * Runs one command in a namespace as the container runtime would: argv only (no shell is
 * added), PATH = the container's bin dir, HOME=/root, stdin empty. argv[0] is the symlink, so
 * the program is called by the tool's name (`nc`, not `nc.openbsd`) and prints it in messages.
 */
function runIn(ns: string, argv: string[], bin: string, timeoutMs: number, signal?: AbortSignal): Promise<ExecOutcome> {
  return new Promise((resolve) => {
    // `ip netns exec` binds /etc/netns/NS/* over /etc in a private mount namespace, then execvp(argv).
    const child = spawn(IP, ['netns', 'exec', ns, ...argv], {
      env: { PATH: bin, HOME: '/root' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      cwd: '/',
    });
    let stdout = '';
    let stderr = '';
    const take = (cur: string, d: Buffer): string => (cur.length >= MAX_OUTPUT ? cur : cur + d.toString('utf8'));
    child.stdout?.on('data', (d: Buffer) => (stdout = take(stdout, d)));
    child.stderr?.on('data', (d: Buffer) => (stderr = take(stderr, d)));
    let timedOut = false;
    const kill = (): void => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    signal?.addEventListener('abort', kill, { once: true });
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, exitCode: 0, failure: `lab: cannot run ip netns exec: ${err.message}` });
    });
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', kill);
      // The runtime reports a process killed by a signal as 128 + signo (SIGKILL → 137).
      const exitCode = code ?? (sig ? 128 + (sig === 'SIGKILL' ? 9 : sig === 'SIGTERM' ? 15 : 1) : 1);
      resolve(timedOut ? { stdout, stderr, exitCode, failure: `lab: the command ran longer than ${timeoutMs} ms and was killed` } : { stdout, stderr, exitCode });
    });
  });
}
