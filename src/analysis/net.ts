/**
 * Address helpers for the analysis: which listener accepts which dial, under Linux bind
 * semantics (causes.md, "Bind semantics on Linux"; ip(7) and ipv6(7):
 * https://man7.org/linux/man-pages/man7/ip.7.html, https://man7.org/linux/man-pages/man7/ipv6.7.html).
 * Pure; no sockets are opened here.
 */
import type { ListenerEvidence } from '../evidence.js';

/** True for 127.0.0.0/8, ::1 and the name `localhost`. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = stripBrackets(address).toLowerCase();
  return a === 'localhost' || a === '::1' || a.startsWith('127.') || a === '::ffff:127.0.0.1';
}

/** True for the wildcard addresses 0.0.0.0 and ::. */
export function isWildcard(address: string | undefined): boolean {
  if (!address) return false;
  const a = stripBrackets(address);
  return a === '0.0.0.0' || a === '::' || a === '*';
}

export function isIPv6(address: string): boolean {
  return stripBrackets(address).includes(':');
}

export function stripBrackets(address: string): string {
  return address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
}

/**
 * Whether a listener accepts a dial to `dialAddress` on its port, as far as its row shows.
 * A `::` listener accepts IPv4 only when its socket has IPV6_V6ONLY=0, and `/proc/net/tcp6`
 * cannot show that flag (the row is the same either way), so by default `::` is taken as
 * *possibly* dual-stack; pass `v6only: true` when live evidence says otherwise (a dial to an
 * IPv4 address refused while the `::` listener existed — see facts.ts `v6OnlyPorts`).
 * Sources: ipv6(7) "IPV6_V6ONLY" (https://man7.org/linux/man-pages/man7/ipv6.7.html);
 * Python asyncio sets it on every AF_INET6 server socket (cpython Lib/asyncio/base_events.py,
 * BaseEventLoop.create_server: "Disable IPv4/IPv6 dual stack support"), so MLServer's uvicorn
 * REST server on `::` refuses 127.0.0.1; Go's net.Listen("tcp", …) and Node's server.listen on
 * `::` are dual-stack (go src/net/sockopt_linux.go setDefaultSockopts sets IPV6_V6ONLY only for
 * "tcp6"; https://nodejs.org/api/net.html#serverlistenoptions-callback `ipv6Only`, default false).
 * `localhost` is treated as 127.0.0.1 here; the ip-family rule looks at `localhost` → ::1 separately.
 */
export function listenerAccepts(listener: ListenerEvidence, dialAddress: string, opts: { v6only?: boolean } = {}): boolean {
  const dial = stripBrackets(dialAddress === 'localhost' ? '127.0.0.1' : dialAddress);
  const bound = stripBrackets(listener.address);
  if (listener.proto === 'tcp') {
    if (isIPv6(dial)) return false;
    if (bound === '0.0.0.0') return true;
    return bound === dial;
  }
  // tcp6
  if (bound === '::') return isIPv6(dial) || !opts.v6only;
  if (!isIPv6(dial)) {
    // An IPv4-mapped listener (::ffff:a.b.c.d) accepts that IPv4 address.
    return bound.toLowerCase() === `::ffff:${dial}`;
  }
  return bound.toLowerCase() === dial.toLowerCase();
}

/**
 * A bind setting rewritten to `host`, keeping its form: `[::1]:8081` → `0.0.0.0:8081`,
 * `127.0.0.1` → `0.0.0.0`, `:8081` stays host-less. A HOST:PORT variable (IMGPROXY_BIND)
 * must keep its port: `IMGPROXY_BIND=::` has none and is rejected.
 */
export function rebindValue(value: string | undefined, host: string): string {
  if (value === undefined) return host;
  const m = /^(\[[^\]]*\]|[^:[\]]*):(\d{1,5})$/.exec(value.trim());
  if (m) return `${isIPv6(host) ? `[${host}]` : host}:${m[2]}`;
  return host;
}

/** `127.0.0.1:9500`, `[::1]:9500`. */
export function hostPort(address: string, port: number): string {
  const a = stripBrackets(address);
  return isIPv6(a) ? `[${a}]:${port}` : `${a}:${port}`;
}

/** Finds `host:port` pairs in free text (log lines, event messages). */
export function findHostPorts(text: string): { host: string; port: number }[] {
  const out: { host: string; port: number }[] = [];
  const re = /(\[[0-9a-fA-F:.]+\]|\b(?:\d{1,3}\.){3}\d{1,3}|\blocalhost):(\d{1,5})\b/g;
  for (const m of text.matchAll(re)) {
    const host = stripBrackets(m[1] ?? '');
    const port = Number(m[2]);
    if (host && port > 0 && port < 65536) out.push({ host, port });
  }
  return out;
}
