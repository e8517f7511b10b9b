/**
 * The simulator's model of one Linux network namespace: which listening sockets accept a
 * TCP dial to which address, and how the kernel prints them in /proc/net/tcp{,6}.
 *
 * The bind rules are the kernel's (and test/component/sim-bind-linux.test.ts checks them
 * against the kernel of the machine the tests run on):
 * - a socket bound to 0.0.0.0 accepts a dial to any local IPv4 address (127.0.0.0/8, the pod IP);
 * - a socket bound to a specific IPv4 address (127.0.0.1, the pod IP) accepts only that address;
 * - a tcp6 socket bound to `::` accepts every local IPv6 address and, unless it is v6-only
 *   (net.ipv6.bindv6only=0 is the default), every local IPv4 address too (as v4-mapped);
 * - a tcp6 socket bound to `::1` (or another specific IPv6 address) accepts only that address,
 *   so a dial to 127.0.0.1 is refused; a tcp (IPv4) socket never accepts an IPv6 dial to ::1;
 * - a tcp6 socket bound to a v4-mapped address (`::ffff:127.0.0.1`) accepts IPv4 dials to it.
 * A dial to 0.0.0.0 goes to 127.0.0.1 and a dial to `::` goes to ::1, as in the kernel.
 *
 * Names: `localhost` resolves as getaddrinfo does with the /etc/hosts kubelet writes into
 * every pod (`127.0.0.1 localhost` and `::1 localhost ...`), sorted by RFC 6724: ::1 first,
 * then 127.0.0.1. A client such as nc tries both in that order, so a dial to `localhost`
 * connects if either address is accepted. Any other name is unknown: the pod's resolver answers
 * NXDOMAIN and the dial is `unresolved` (getaddrinfo's "Name or service not known").
 *
 * Beyond the namespace: a dial to an address that is not local goes to the cluster's
 * {@link SimNetwork} (another pod, the node, a filter); with none, or where nothing routes the
 * address, the SYN is lost and the dial times out, as on a real cluster. Loopback and the pod's
 * own IP are never filtered ("Pods cannot block localhost access",
 * https://kubernetes.io/docs/concepts/services-networking/network-policies/#what-you-can-t-do-with-network-policies-at-least-not-yet).
 */

/** A socket in LISTEN state in the simulated network namespace. */
export interface SimListener {
  /** `tcp` = AF_INET socket (listed in /proc/net/tcp); `tcp6` = AF_INET6 (/proc/net/tcp6). */
  proto: 'tcp' | 'tcp6';
  /** The bound address as the program gave it: `0.0.0.0`, `127.0.0.1`, `::`, `::1`, the pod IP. */
  address: string;
  port: number;
  /** The container whose process opened it. */
  container: string;
  /** Socket inode shown in /proc/net/tcp. */
  inode: number;
  /** Owner uid shown in /proc/net/tcp (default 0). */
  uid?: number;
  /** IPV6_V6ONLY on a tcp6 socket (default false, as net.ipv6.bindv6only=0). */
  v6only?: boolean;
}

/**
 * What a TCP dial got back: a SYN-ACK; a RST or an ICMP port-unreachable (a REJECT rule) —
 * "Connection refused"; nothing (an unroutable address or a DROP rule) — a timeout.
 */
export type DialResult = 'connected' | 'refused' | 'timeout';

/** A dial by name: a {@link DialResult}, or `unresolved` when the name is unknown (NXDOMAIN). */
export type NamedDialResult = DialResult | 'unresolved';

/**
 * The cluster seen from one network namespace: where a dial to an address that is not local
 * goes. Built by the simulator from the scenario (other pods, the node, NetworkPolicies).
 */
export interface SimNetwork {
  /** The outcome of a dial leaving the namespace to `address` (numeric) and `port`. */
  route(address: string, port: number): DialResult;
}

/** An IP address reduced to its family and bytes (IPv4-mapped IPv6 becomes IPv4). */
export interface ParsedAddress {
  family: 4 | 6;
  bytes: number[];
}

/** Parses a dotted-quad IPv4 address; undefined if it is not one. */
export function parseIPv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes.push(value);
  }
  return bytes;
}

/** Parses an IPv6 address (with `::` compression and an optional dotted IPv4 tail) to 16 bytes. */
export function parseIPv6(input: string): number[] | undefined {
  let text = input;
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (!text.includes(':')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] ?? '';
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIPv4(piece);
        if (!v4) return undefined;
        groups.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
      groups.push(parseInt(piece, 16));
    }
    return groups;
  };
  const head = toGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? toGroups(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  return groups.flatMap((g) => [(g >> 8) & 0xff, g & 0xff]);
}

function isV4Mapped(bytes: number[]): boolean {
  return bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Parses a numeric address as the destination of a dial: an IPv4-mapped IPv6 address is
 * an IPv4 dial on the wire. Undefined for a name or garbage.
 */
export function parseAddress(text: string): ParsedAddress | undefined {
  const v4 = parseIPv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIPv6(text);
  if (!v6) return undefined;
  if (isV4Mapped(v6)) return { family: 4, bytes: v6.slice(12) };
  return { family: 6, bytes: v6 };
}

const isZero = (bytes: number[]): boolean => bytes.every((b) => b === 0);
const sameBytes = (a: number[], b: number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const V6_LOOPBACK = [...new Array<number>(15).fill(0), 1];

/** The kernel sends a dial to the unspecified address to loopback. */
function effectiveDestination(dest: ParsedAddress): ParsedAddress {
  if (!isZero(dest.bytes)) return dest;
  return dest.family === 4 ? { family: 4, bytes: [127, 0, 0, 1] } : { family: 6, bytes: V6_LOOPBACK };
}

/**
 * Whether `listener` accepts a TCP dial whose destination address is `dialAddress`
 * (numeric), by the Linux bind rules. Ports are not compared here; `dial` does that.
 * It does not judge whether the address is local to the namespace: `dial` does that too.
 * `bindv6only` stands for IPV6_V6ONLY on a tcp6 listener (OR-ed with `listener.v6only`).
 */
export function acceptsDial(listener: SimListener, dialAddress: string, bindv6only = false): boolean {
  const parsed = parseAddress(dialAddress);
  if (!parsed) return false;
  const dest = effectiveDestination(parsed);
  if (listener.proto === 'tcp') {
    const bound = parseIPv4(listener.address);
    if (!bound || dest.family !== 4) return false;
    return isZero(bound) || sameBytes(bound, dest.bytes);
  }
  const bound = parseIPv6(listener.address);
  if (!bound) return false;
  const v6only = bindv6only || listener.v6only === true;
  if (isV4Mapped(bound)) {
    // A v6 socket bound to ::ffff:a.b.c.d takes IPv4 traffic for a.b.c.d (never with V6ONLY).
    return !v6only && dest.family === 4 && sameBytes(bound.slice(12), dest.bytes);
  }
  if (isZero(bound)) return dest.family === 6 || !v6only;
  return dest.family === 6 && sameBytes(bound, dest.bytes);
}

/**
 * Whether a numeric address is local to the pod's namespace: 127.0.0.0/8, ::1, the
 * unspecified addresses (which the kernel routes to loopback) and the pod IP.
 */
export function isLocalAddress(address: string, podIP?: string): boolean {
  const parsed = parseAddress(address);
  if (!parsed) return false;
  if (isZero(parsed.bytes)) return true;
  if (parsed.family === 4 && parsed.bytes[0] === 127) return true;
  if (parsed.family === 6 && sameBytes(parsed.bytes, V6_LOOPBACK)) return true;
  const pod = podIP ? parseAddress(podIP) : undefined;
  return pod !== undefined && pod.family === parsed.family && sameBytes(pod.bytes, parsed.bytes);
}

/**
 * Resolves a host as a client in the pod would, with kubelet's /etc/hosts: numeric
 * addresses as they are, `localhost` (and ip6-localhost/ip6-loopback) to `::1` then
 * `127.0.0.1`, the pod's hostname to its IP. Undefined when the name is unknown
 * ("Name or service not known"): the simulator has no DNS.
 */
export function resolveHost(host: string, options: { podIP?: string; hostnames?: string[] } = {}): string[] | undefined {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (parseAddress(bare)) return [bare];
  const name = bare.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name === 'localhost.localdomain') return ['::1', '127.0.0.1'];
  if (name === 'ip6-localhost' || name === 'ip6-loopback') return ['::1'];
  if (options.podIP && options.hostnames?.some((h) => h.toLowerCase() === name)) return [options.podIP];
  return undefined;
}

/**
 * One TCP dial from inside the namespace to HOST:PORT. `host` is a numeric address or a name
 * (`localhost` is tried as ::1 then 127.0.0.1; connected if either is accepted, else the last
 * address's outcome, as nc reports it). A name the pod cannot resolve is `unresolved`.
 */
export function dial(listeners: SimListener[], host: string, port: number, podIP?: string, network?: SimNetwork): NamedDialResult {
  const addresses = resolveHost(host, { podIP });
  if (!addresses) return 'unresolved';
  let result: DialResult = 'refused';
  for (const address of addresses) {
    result = dialAddress(listeners, address, port, podIP, network);
    if (result === 'connected') return result;
  }
  return result;
}

/**
 * One dial to one numeric address (no name resolution): a local address by the bind rules
 * (never filtered); any other through `network`, or a timeout when nothing routes it.
 */
export function dialAddress(listeners: SimListener[], address: string, port: number, podIP?: string, network?: SimNetwork): DialResult {
  if (!isLocalAddress(address, podIP)) return network ? network.route(address, port) : 'timeout';
  const accepted = listeners.some((l) => l.port === port && acceptsDial(l, address));
  return accepted ? 'connected' : 'refused';
}

// --- /proc/net/tcp -------------------------------------------------------------------------

/** Width the kernel pads each /proc/net/tcp line to (TMPSZ - 1 in net/ipv4/tcp_ipv4.c). */
const TCP4_LINE_WIDTH = 149;
const TCP4_HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const TCP6_HEADER =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

const hex = (value: number, width: number): string => value.toString(16).toUpperCase().padStart(width, '0');
const pad = (text: string | number, width: number): string => String(text).padStart(width, ' ');

/** A 4-byte group as the kernel prints a __be32 with %08X on a little-endian CPU. */
function wordHostOrder(bytes: number[]): string {
  return [...bytes].reverse().map((b) => hex(b, 2)).join('');
}

function localAddressHex(listener: SimListener): string {
  if (listener.proto === 'tcp') {
    const bytes = parseIPv4(listener.address);
    if (!bytes) throw new Error(`listener address ${JSON.stringify(listener.address)} is not an IPv4 address`);
    return wordHostOrder(bytes);
  }
  const bytes = parseIPv6(listener.address);
  if (!bytes) throw new Error(`listener address ${JSON.stringify(listener.address)} is not an IPv6 address`);
  return [0, 4, 8, 12].map((i) => wordHostOrder(bytes.slice(i, i + 4))).join('');
}

/**
 * The row the kernel prints for a LISTEN socket, following get_tcp4_sock/get_tcp6_sock:
 * `"%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d %pK %lu %lu %u %u %d"`.
 * For a fresh listener: queues 0, no timer, refcount 1, rto 100 (1 s in USER_HZ), ato 0,
 * quick/pingpong 0, cwnd 10, fastopen queue 0. `%pK` prints 0000000000000000, which is what
 * a process without CAP_SYSLOG (a normal container) sees.
 */
function listenerRow(index: number, listener: SimListener): string {
  const remote = listener.proto === 'tcp' ? '00000000' : '0'.repeat(32);
  return (
    `${pad(index, 4)}: ${localAddressHex(listener)}:${hex(listener.port, 4)} ${remote}:0000 0A ` +
    `00000000:00000000 00:00000000 00000000 ${pad(listener.uid ?? 0, 5)} ${pad(0, 8)} ${listener.inode} 1 ` +
    `0000000000000000 100 0 0 10 0`
  );
}

/**
 * /proc/net/tcp (`proto` 'tcp') or /proc/net/tcp6 ('tcp6') for these listeners, byte for
 * byte as the kernel writes it: header first; tcp lines padded with spaces to 149
 * characters, tcp6 lines not padded. Rows are in the given order (the kernel's order is
 * its hash-bucket order, which nothing may rely on).
 */
export function procNetTcp(listeners: SimListener[], proto: 'tcp' | 'tcp6'): string {
  const rows = listeners.filter((l) => l.proto === proto).map((l, i) => listenerRow(i, l));
  if (proto === 'tcp6') return [TCP6_HEADER, ...rows].map((line) => `${line}\n`).join('');
  return [TCP4_HEADER, ...rows].map((line) => `${line.padEnd(TCP4_LINE_WIDTH, ' ')}\n`).join('');
}

// --- bind(2) -------------------------------------------------------------------------------

/** What bind(2) is asked for: a TCP socket's family, address, port and IPV6_V6ONLY. */
export type BindRequest = Pick<SimListener, 'proto' | 'address' | 'port' | 'v6only'>;

type Bound = { kind: 'v4'; bytes: number[] } | { kind: 'any6'; v6only: boolean } | { kind: 'v6'; bytes: number[] };

/** How the kernel compares a bound address; undefined when the address is not of the socket's family. */
function boundAddress(b: BindRequest): Bound | undefined {
  if (b.proto === 'tcp') {
    const v4 = parseIPv4(b.address);
    return v4 ? { kind: 'v4', bytes: v4 } : undefined;
  }
  const v6 = parseIPv6(b.address);
  if (!v6) return undefined;
  if (isV4Mapped(v6)) return { kind: 'v4', bytes: v6.slice(12) };
  if (isZero(v6)) return { kind: 'any6', v6only: b.v6only === true };
  return { kind: 'v6', bytes: v6 };
}

/**
 * Whether two listening TCP sockets in one network namespace cannot both be bound (the second
 * bind fails with EADDRINUSE), by inet_rcv_saddr_equal / ipv6_rcv_saddr_equal in
 * net/ipv4/inet_connection_sock.c (SO_REUSEADDR does not help against a socket in LISTEN
 * state; SO_REUSEPORT is not modelled):
 * - same port, and: two IPv4 addresses that are equal or either is 0.0.0.0;
 * - `::` against `::` (v6only or not) or against any IPv6 address;
 * - `::` without IPV6_V6ONLY against any IPv4 address (it takes IPv4 too; ipv6(7): "IPV6_V6ONLY
 *   ... If this flag is set to false (zero), then the socket can be used to send and receive
 *   packets to and from an IPv6 address or an IPv4-mapped IPv6 address"; the default is
 *   net.ipv6.bindv6only, 0);
 * - two specific IPv6 addresses that are equal; a specific IPv6 address never conflicts with
 *   IPv4 (binding one sets ipv6only).
 * A v4-mapped IPv6 address counts as its IPv4 address.
 */
export function bindConflicts(a: BindRequest, b: BindRequest): boolean {
  if (a.port !== b.port) return false;
  const x = boundAddress(a);
  const y = boundAddress(b);
  if (!x || !y) return false;
  if (x.kind === 'v4' && y.kind === 'v4') return sameBytes(x.bytes, y.bytes) || isZero(x.bytes) || isZero(y.bytes);
  if (x.kind === 'any6' && y.kind === 'any6') return true;
  const [any, other] = x.kind === 'any6' ? [x, y] : y.kind === 'any6' ? [y, x] : [undefined, undefined];
  if (any && other) return other.kind === 'v4' ? !any.v6only : true;
  if (x.kind === 'v6' && y.kind === 'v6') return sameBytes(x.bytes, y.bytes);
  return false;
}

/**
 * Why bind(2) refuses this address in a namespace holding `localIPs` (besides loopback), or
 * undefined when it binds: an address of the other family for the socket (EINVAL/EAFNOSUPPORT),
 * or one no interface carries (EADDRNOTAVAIL, "Cannot assign requested address";
 * net.ipv4.ip_nonlocal_bind is 0 by default).
 */
export function bindAddressProblem(b: BindRequest, localIPs: readonly string[]): string | undefined {
  const bound = boundAddress(b);
  if (!bound) {
    return b.proto === 'tcp'
      ? `${JSON.stringify(b.address)} is not an IPv4 address: a tcp socket is AF_INET (use proto tcp6 for an IPv6 address)`
      : `${JSON.stringify(b.address)} is not an IPv6 address: a tcp6 socket is AF_INET6 (use proto tcp for an IPv4 address, or ::ffff:${b.address})`;
  }
  if (bound.kind === 'any6') return undefined;
  const local = (bytes: number[], family: 4 | 6): boolean =>
    isZero(bytes) || (family === 4 && bytes[0] === 127) || (family === 6 && sameBytes(bytes, V6_LOOPBACK)) ||
    localIPs.some((ip) => {
      const p = parseAddress(ip);
      return p !== undefined && p.family === family && sameBytes(p.bytes, bytes);
    });
  if (local(bound.bytes, bound.kind === 'v4' ? 4 : 6)) return undefined;
  return `no interface in the pod's network namespace has ${b.address} (it has loopback${localIPs.length ? ` and ${localIPs.join(', ')}` : ''}): bind fails with EADDRNOTAVAIL, "Cannot assign requested address"`;
}
