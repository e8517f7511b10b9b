/**
 * Parsing of `/proc/net/tcp` and `/proc/net/tcp6`: the kernel's socket tables, per network
 * namespace. Addresses are hex in host byte order (x86/arm little-endian: 127.0.0.1 is
 * `0100007F`); tcp6 addresses are four 32-bit words, each in host order. Only LISTEN rows
 * (state `0A`) become listeners. Pure.
 */
import type { ListenerEvidence } from '../evidence.js';

const LISTEN = '0A';

/** `0100007F` → `127.0.0.1`. */
export function decodeIPv4Hex(hex: string): string {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) throw new Error(`not an IPv4 hex address: ${hex}`);
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return bytes.reverse().join('.');
}

/** Shortest IPv6 text form (RFC 5952): longest run of two or more zero groups becomes `::`. */
function formatIPv6(groups: number[]): string {
  // IPv4-mapped (::ffff:a.b.c.d) reads better in its dotted form.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const a = groups[6]!;
    const b = groups[7]!;
    return `::ffff:${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** `00000000000000000000000001000000` → `::1`. */
export function decodeIPv6Hex(hex: string): string {
  if (!/^[0-9A-Fa-f]{32}$/.test(hex)) throw new Error(`not an IPv6 hex address: ${hex}`);
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    // Each 32-bit word is in host (little-endian) order: reverse its bytes.
    for (let i = 6; i >= 0; i -= 2) bytes.push(parseInt(word.slice(i, i + 2), 16));
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  return formatIPv6(groups);
}

/** The LISTEN rows of one table. Rows that do not parse are skipped (the header, blank lines). */
export function parseProcNetTcp(text: string, proto: 'tcp' | 'tcp6'): ListenerEvidence[] {
  const listeners: ListenerEvidence[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // sl local rem st tx:rx tr:tm retrnsmt uid timeout inode ...
    if (f.length < 10 || !/^\d+:$/.test(f[0]!)) continue;
    if (f[3]?.toUpperCase() !== LISTEN) continue;
    const [addrHex, portHex] = f[1]!.split(':');
    if (!addrHex || !portHex) continue;
    let address: string;
    try {
      address = proto === 'tcp' ? decodeIPv4Hex(addrHex) : decodeIPv6Hex(addrHex);
    } catch {
      continue;
    }
    const uid = Number(f[7]);
    const inode = Number(f[9]);
    listeners.push({
      proto,
      address,
      port: parseInt(portHex, 16),
      ...(Number.isInteger(inode) ? { inode } : {}),
      ...(Number.isInteger(uid) ? { uid } : {}),
      raw: line.trim(),
    });
  }
  return listeners;
}
