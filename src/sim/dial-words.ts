/**
 * What the simulated dial tools print when a connect fails, and how long it takes in
 * simulated time (see clock.ts). Every line is the real tool's, captured on Debian bookworm in a
 * real network namespace: test/fixtures/dial/dials.json (`npm run fixtures:dial`) for
 * refused, `-w` timeouts and NXDOMAIN; the unbounded timeouts (`nc` without `-w`, bash
 * /dev/tcp) were captured the same way with net.ipv4.tcp_syn_retries=1 in the namespace so the
 * kernel gave up after 3 s instead of 127 s — the words do not depend on the retry count.
 */
import type { DialResult } from './netmodel.js';

/**
 * Seconds a Linux connect() waits for a SYN-ACK before ETIMEDOUT with the default
 * net.ipv4.tcp_syn_retries = 6: 1+2+4+8+16+32+64 s of retransmission timers, 127 s
 * (Documentation/networking/ip-sysctl.rst, tcp_syn_retries; kernels with
 * tcp_syn_linear_timeouts say 131 s).
 */
export const KERNEL_CONNECT_TIMEOUT_S = 127;

/** A connect that did not connect: its outcome and, for a timeout, how long it took. */
export interface FailedConnect {
  result: Exclude<DialResult, 'connected'>;
  /** `nc -w` seconds; undefined = the kernel's own connect timeout. */
  connectTimeout?: number;
}

/** Simulated seconds a failed connect takes: none for a refusal, the bound (or the kernel's) for a timeout. */
export function failedConnectSeconds(f: FailedConnect): number {
  if (f.result !== 'timeout') return 0;
  return f.connectTimeout ?? KERNEL_CONNECT_TIMEOUT_S;
}

/**
 * OpenBSD nc's `-v` line for a failed connect to `shown` (`HOST`, or `HOST (ADDRESS)` for a
 * name), as netcat-openbsd 1.219 prints it with warn()/warnx():
 * `nc: connect to 127.0.0.1 port 8081 (tcp) failed: Connection refused`,
 * `nc: connect to 10.42.0.98 port 8080 (tcp) timed out: Operation now in progress` (with -w),
 * `nc: connect to 10.9.0.99 port 8080 (tcp) failed: Connection timed out` (without -w).
 */
export function openbsdNcFailure(shown: string, port: number, f: FailedConnect): string {
  if (f.result === 'refused') return `nc: connect to ${shown} port ${port} (tcp) failed: Connection refused\n`;
  if (f.connectTimeout !== undefined) return `nc: connect to ${shown} port ${port} (tcp) timed out: Operation now in progress\n`;
  return `nc: connect to ${shown} port ${port} (tcp) failed: Connection timed out\n`;
}

/** OpenBSD nc when getaddrinfo answers NXDOMAIN (printed with or without -v; exit 1). */
export function openbsdNcUnresolved(host: string, port: string): string {
  return `nc: getaddrinfo for host "${host}" port ${port}: Name or service not known\n`;
}

/**
 * bash's two lines for a failed /dev/tcp connect (`where` is bash's `bash: line N: ` prefix):
 * `bash: connect: Connection refused` / `bash: line 1: /dev/tcp/H/P: Connection refused`, or
 * the same with `Connection timed out` after the kernel's connect timeout.
 */
export function bashConnectFailure(shell: string, where: string, path: string, f: FailedConnect): string {
  const why = f.result === 'refused' ? 'Connection refused' : 'Connection timed out';
  return `${shell}: connect: ${why}\n${where}${path}: ${why}\n`;
}
