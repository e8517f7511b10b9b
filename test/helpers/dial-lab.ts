/**
 * Runs podnet's DIAL_SCRIPT with real tools in a real network namespace and records what each
 * printed. Used by `npm run fixtures:dial` (writes test/fixtures/dial/dials.json) and by
 * test/component/probe-dial-real.test.ts (prints the same records as JSON on stdout).
 *
 *   node --import ./test/helpers/register-ts.js test/helpers/dial-lab.ts [--write FILE]
 *
 * Needs root and `unshare`: it re-runs itself under `unshare -n -m` (a new network and mount
 * namespace that vanish with the process), then sets up, inside:
 * - lo up; a veth pair with the "pod IP" 10.42.0.10/24 and no default route;
 * - nftables (table inet pnp_dial): 10.42.0.98 DROP (most CNIs' NetworkPolicy), 10.42.0.97
 *   REJECT with icmp port-unreachable (K3s's kube-router);
 * - a listener on 127.0.0.1:8080 only (so the pod IP and ::1 are refused, as for a server bound
 *   to loopback); nothing on 8081; fixed ports are safe in a namespace of our own;
 * - /etc/hosts as kubelet writes it, and /etc/resolv.conf pointing at a DNS server in this
 *   process that answers NXDOMAIN to everything, or at a dropped address (a dead resolver).
 * Each tool variant gets a PATH that holds exactly its image's executables (symlinks).
 */
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dialArgv, type DialClass } from '../../src/probes/dial.js';

/** Where .ci/run builds upstream busybox (defconfig, from Debian's orig tarball). */
export const UPSTREAM_BUSYBOX = process.env.PODNET_BUSYBOX_UPSTREAM ?? '/opt/podnet/busybox-upstream/busybox';

export const POD_IP = '10.42.0.10';
const DROP_IP = '10.42.0.98';
const REJECT_IP = '10.42.0.97';
const PORT_OPEN = 8080;
const PORT_CLOSED = 8081;

/** A container image, as the PATH of executables it holds. */
export interface ToolImage {
  name: string;
  /** What the image stands for. */
  about: string;
  /** executable name → real file. */
  links: Record<string, string>;
  /** False when nothing in the image can dial: every target reads `no-tool`. */
  canDial?: boolean;
}

/** The program file (never a shell builtin: `true` is one). */
function which(name: string): string | undefined {
  return ['/usr/bin', '/bin', '/usr/sbin', '/sbin'].map((d) => join(d, name)).find((f) => existsSync(f));
}

const BASE = ['cat', 'readlink', 'true'];
function coreutils(extra: string[] = []): Record<string, string> {
  return Object.fromEntries([...BASE, ...extra].map((n) => [n, which(n) ?? `/usr/bin/${n}`]));
}
function applets(busybox: string, names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, busybox]));
}

/** The images the dial is checked in. */
export function toolImages(): ToolImage[] {
  const dash = '/usr/bin/dash';
  const bash = '/usr/bin/bash';
  return [
    { name: 'openbsd', about: 'Debian/Ubuntu with netcat-openbsd', links: { sh: dash, nc: '/usr/bin/nc.openbsd', ...coreutils(['timeout']) } },
    { name: 'ncat', about: 'RHEL/UBI with nmap-ncat as nc (sh is bash there)', links: { sh: bash, bash, nc: '/usr/bin/ncat', ...coreutils(['timeout']) } },
    { name: 'traditional', about: 'Debian with netcat-traditional', links: { sh: dash, bash, nc: '/usr/bin/nc.traditional', ...coreutils(['timeout']) } },
    { name: 'traditional-no-bash', about: 'netcat-traditional and no bash', links: { sh: dash, nc: '/usr/bin/nc.traditional', ...coreutils(['timeout']) } },
    { name: 'busybox-debian', about: "Ubuntu/Debian with the busybox package (its nc has no -z) and bash", links: { sh: dash, bash, busybox: '/bin/busybox', ...coreutils(['timeout']) } },
    {
      name: 'busybox-debian-only',
      about: "only Debian's busybox (sh, timeout, nc as applets; no bash)",
      links: { ...applets('/bin/busybox', ['sh', 'busybox', 'cat', 'readlink', 'true', 'timeout']) },
    },
    {
      name: 'busybox-upstream',
      about: 'the busybox image: upstream defconfig, every tool an applet',
      links: applets(UPSTREAM_BUSYBOX, ['sh', 'busybox', 'nc', 'cat', 'readlink', 'true', 'timeout']),
    },
    { name: 'bash', about: 'bash and coreutils, no nc (ubi-micro, Debian slim)', links: { sh: bash, bash, ...coreutils(['timeout']) } },
    { name: 'bash-no-timeout', about: 'bash without timeout: the watchdog bounds the dial', links: { sh: dash, bash, ...coreutils() } },
    { name: 'dash', about: 'dash and coreutils only: nothing can dial', links: { sh: dash, ...coreutils(['timeout']) }, canDial: false },
  ];
}

/** A dial target and the outcome the kernel set-up makes true. */
export interface DialTarget {
  name: string;
  host: string;
  port: number;
  expect: DialClass;
  /** Where a tool's own limits make another outcome the true one (see each entry). */
  expectIn?: Record<string, DialClass>;
  resolver?: 'nxdomain' | 'dead' | 'dead-k8s';
  /** Only in these images (slow targets). */
  only?: string[];
}

export const DIAL_TARGETS: DialTarget[] = [
  { name: 'listener', host: '127.0.0.1', port: PORT_OPEN, expect: 'connected' },
  { name: 'closed port', host: '127.0.0.1', port: PORT_CLOSED, expect: 'refused' },
  // netcat-traditional is IPv4-only ("::1: forward host lookup failed"); with bash the script
  // dials ::1 with bash instead, without it the dial cannot be made.
  { name: '::1, v4-only listener', host: '::1', port: PORT_OPEN, expect: 'refused', expectIn: { 'traditional-no-bash': 'error' } },
  { name: 'localhost, closed port', host: 'localhost', port: PORT_CLOSED, expect: 'refused' },
  // Debian's busybox nc tries only the first address of a name (::1 here: refused), where
  // the other tools go on to 127.0.0.1: the tool's truth, recorded as such.
  { name: 'localhost, listener', host: 'localhost', port: PORT_OPEN, expect: 'connected', expectIn: { 'busybox-debian-only': 'refused' } },
  { name: 'pod IP, loopback-only listener', host: POD_IP, port: PORT_OPEN, expect: 'refused' },
  { name: 'REJECT (icmp port-unreachable)', host: REJECT_IP, port: PORT_OPEN, expect: 'refused' },
  { name: 'DROP', host: DROP_IP, port: PORT_OPEN, expect: 'timeout' },
  { name: 'no route', host: '192.0.2.1', port: PORT_OPEN, expect: 'error' },
  { name: 'unknown name (NXDOMAIN)', host: 'nosuch-svc', port: PORT_OPEN, expect: 'unresolved', resolver: 'nxdomain' },
  { name: 'unknown name, dead resolver', host: 'nosuch-svc', port: PORT_OPEN, expect: 'unresolved', resolver: 'dead' },
  {
    name: 'unknown name, dead resolver, Kubernetes resolv.conf',
    host: 'nosuch-svc',
    port: PORT_OPEN,
    expect: 'unresolved',
    resolver: 'dead-k8s',
    only: ['openbsd', 'busybox-upstream', 'ncat'],
  },
];

/** What one run of DIAL_SCRIPT printed. */
export interface DialRecord {
  image: string;
  target: string;
  host: string;
  port: number;
  expect: DialClass;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

const KUBELET_HOSTS =
  '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n' +
  `fe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n${POD_IP}\tpod-0\n`;
const RESOLV: Record<NonNullable<DialTarget['resolver']>, string> = {
  nxdomain: 'nameserver 127.0.0.53\nsearch ns.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n',
  dead: `nameserver ${DROP_IP}\noptions timeout:1 attempts:1\n`,
  // What kubelet writes (ClusterFirst), with glibc's defaults: 5 s per try, 2 tries.
  'dead-k8s': `nameserver ${DROP_IP}\nsearch ns.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`,
};

function sh(command: string): void {
  const r = spawnSync('sh', ['-c', command], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command}: ${r.stderr.trim()}`);
}

/** A DNS server that answers every query with NXDOMAIN (RFC 1035 header, RCODE 3). */
async function nxdomainServer(): Promise<dgram.Socket> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    if (msg.length < 12) return;
    const reply = Buffer.from(msg);
    reply[2] = 0x81 | (msg[2]! & 0x01); // QR=1, opcode 0, RD copied
    reply[3] = 0x83; // RA=1, RCODE=3 (NXDOMAIN)
    reply.writeUInt16BE(0, 6); // no answers
    reply.writeUInt16BE(0, 8);
    reply.writeUInt16BE(0, 10);
    const end = questionEnd(msg);
    sock.send(reply.subarray(0, end), rinfo.port, rinfo.address);
  });
  await new Promise<void>((done) => sock.bind(53, '127.0.0.53', done));
  return sock;
}
function questionEnd(msg: Buffer): number {
  let i = 12;
  while (i < msg.length && msg[i] !== 0) i += msg[i]! + 1;
  return Math.min(msg.length, i + 5);
}

async function run(argv: string[], path: string): Promise<{ exitCode: number | null; stdout: string; stderr: string; seconds: number }> {
  const started = process.hrtime.bigint();
  const child = spawn(argv[0]!, argv.slice(1), { env: { PATH: path, LC_ALL: 'C', HOME: path }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const exitCode = await new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  clearTimeout(timer);
  return { exitCode, stdout, stderr, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** Sets up the namespace (must already be a private one) and runs every image × target. */
export async function runDialLab(images = toolImages()): Promise<DialRecord[]> {
  sh('ip link set lo up');
  sh(`ip link add pnp0 type veth peer name pnp1 && ip addr add ${POD_IP}/24 dev pnp0 && ip link set pnp0 up && ip link set pnp1 up`);
  sh(
    `nft -f - <<'EOF'\ntable inet pnp_dial {\n  chain out {\n    type filter hook output priority 0;\n` +
      `    ip daddr ${DROP_IP} drop\n    ip daddr ${REJECT_IP} reject with icmp type port-unreachable\n  }\n}\nEOF`,
  );
  const work = mkdtempSync(join(tmpdir(), 'pnp-dial-'));
  const hosts = join(work, 'hosts');
  const resolv = join(work, 'resolv.conf');
  writeFileSync(hosts, KUBELET_HOSTS);
  writeFileSync(resolv, RESOLV.nxdomain);
  sh(`mount --bind ${hosts} /etc/hosts && mount --bind ${resolv} /etc/resolv.conf`);
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((done) => server.listen(PORT_OPEN, '127.0.0.1', done));
  const dns = await nxdomainServer();
  const records: DialRecord[] = [];
  try {
    for (const image of images) {
      const bin = join(work, image.name);
      mkdirSync(bin);
      for (const [name, file] of Object.entries(image.links)) symlinkSync(file, join(bin, name));
      for (const target of DIAL_TARGETS) {
        if (target.only && !target.only.includes(image.name)) continue;
        writeFileSync(resolv, RESOLV[target.resolver ?? 'nxdomain']);
        const argv = dialArgv(target.host, target.port);
        const out = await run([join(bin, 'sh'), ...argv.slice(1)], bin);
        const expect = image.canDial === false ? 'no-tool' : (target.expectIn?.[image.name] ?? target.expect);
        records.push({ image: image.name, target: target.name, host: target.host, port: target.port, expect, ...out });
      }
    }
  } finally {
    server.close();
    dns.close();
    rmSync(work, { recursive: true, force: true });
  }
  return records;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const write = args[0] === '--write' ? args[1] : undefined;
  if (process.env.PNP_DIAL_LAB_INNER !== '1') {
    if (process.getuid?.() !== 0) throw new Error('dial-lab needs root (unshare -n -m, ip, nft, mount)');
    const self = fileURLToPath(import.meta.url);
    const register = join(dirname(self), 'register-ts.js');
    const r = spawnSync('unshare', ['-n', '-m', process.execPath, '--import', register, self, ...args], {
      stdio: 'inherit',
      env: { ...process.env, PNP_DIAL_LAB_INNER: '1' },
    });
    process.exit(r.status ?? 1);
  }
  const missing = toolImages().flatMap((i) => Object.values(i.links)).filter((f, i, a) => a.indexOf(f) === i && !existsSync(f));
  if (missing.length > 0) throw new Error(`missing tools: ${missing.join(', ')} (bash .ci/run installs them)`);
  const records = await runDialLab();
  const json = `${JSON.stringify(records, null, 2)}\n`;
  if (write) writeFileSync(write, json);
  else process.stdout.write(json);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(`dial-lab: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
