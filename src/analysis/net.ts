/**
 * Address helpers for the analysis: which listener accepts which dial, under Linux bind
 * semantics (causes.md, "Bind semantics on Linux"). Pure; no sockets are opened here.
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
 * Whether a listener accepts a dial to `dialAddress` on its port. `::` is taken to accept
 * IPv4 too (bindv6only=0, the Linux default). `localhost` is treated as 127.0.0.1 here;
 * the ip-family rule looks at `localhost` → ::1 separately.
 */
export function listenerAccepts(listener: ListenerEvidence, dialAddress: string): boolean {
  const dial = stripBrackets(dialAddress === 'localhost' ? '127.0.0.1' : dialAddress);
  const bound = stripBrackets(listener.address);
  if (listener.proto === 'tcp') {
    if (isIPv6(dial)) return false;
    if (bound === '0.0.0.0') return true;
    return bound === dial;
  }
  // tcp6
  if (bound === '::') return true;
  if (!isIPv6(dial)) {
    // An IPv4-mapped listener (::ffff:a.b.c.d) accepts that IPv4 address.
    return bound.toLowerCase() === `::ffff:${dial}`;
  }
  return bound.toLowerCase() === dial.toLowerCase();
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
