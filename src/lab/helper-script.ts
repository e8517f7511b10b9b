/**
 * The program a lab runs inside a network namespace (as a separate `node` process, started
 * with `nsenter --net=…`): it opens a container's listening sockets as the scenario writes
 * them, or answers DNS queries with NXDOMAIN, and exits when its stdin closes (so a lab
 * whose parent died leaves no process behind). It is plain JavaScript kept as text, because
 * it must run the same under ts-jest and from `dist/`: the lab writes it to its temp dir.
 *
 * Protocol: argv[2] is a JSON request; the helper prints ONE JSON line on stdout when it is
 * ready — `{"ok":true}` or `{"ok":false,"index":N,"code":"EADDRINUSE","message":"…"}` (the
 * listener the kernel refused) — and then stays up until stdin ends.
 *
 * Requests:
 * `{"sockets":[{"host":"::","port":9000,"v6only":true,"uid":1000}],"dns":{"host":"10.43.0.10","port":53}}`
 * - sockets: sets net.ipv4.ip_unprivileged_port_start=0 in the namespace (containerd does the
 *   same for pods: CRI `enable_unprivileged_ports`, default true since containerd 2.0 —
 *   https://github.com/containerd/containerd/blob/main/docs/cri/config.md), then binds every
 *   socket in the scenario's order, each with the effective uid set to its `uid` (the owner
 *   /proc/net/tcp shows is the socket inode's uid, taken from the creator's fsuid, which
 *   follows the euid: sock_i_uid / sock_alloc_inode). Node's `ipv6Only` sets IPV6_V6ONLY
 *   before bind (https://nodejs.org/api/net.html#serverlistenoptions-callback).
 * - dns: a UDP responder that answers every query with RCODE 3 (NXDOMAIN, RFC 1035 §4.1.1),
 *   the question echoed; glibc then reports "Name or service not known" (EAI_NONAME), as for a
 *   Service name CoreDNS does not know.
 */
export const HELPER_SCRIPT = String.raw`
import net from 'node:net';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';

const req = JSON.parse(process.argv[2]);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();

function listenOne(s) {
  return new Promise((resolve, reject) => {
    const server = net.createServer((c) => {
      c.on('error', () => c.destroy());
      c.on('data', () => {});
      c.on('end', () => c.end());
    });
    server.once('error', reject);
    server.listen({ host: s.host, port: s.port, ipv6Only: s.v6only === true, backlog: 511 }, () => resolve(server));
  });
}

function dns(d) {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    sock.on('message', (msg, rinfo) => {
      if (msg.length < 12) return;
      let end = 12;
      while (end < msg.length && msg[end] !== 0) end += msg[end] + 1;
      end += 5;
      if (end > msg.length) return;
      const out = Buffer.from(msg.subarray(0, end));
      out[2] = 0x80 | (msg[2] & 0x79); // QR, opcode and RD as asked
      out[3] = 0x80 | 3;               // RA, RCODE 3 = NXDOMAIN
      out.writeUInt16BE(1, 4);
      out.writeUInt32BE(0, 6);
      out.writeUInt16BE(0, 10);
      sock.send(out, rinfo.port, rinfo.address);
    });
    sock.once('error', reject);
    sock.bind(d.port, d.host, resolve);
  });
}

async function main() {
  try { writeFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', '0'); } catch {}
  for (const [index, s] of (req.sockets || []).entries()) {
    try {
      if (s.uid) process.seteuid(s.uid);
      await listenOne(s);
    } catch (err) {
      say({ ok: false, index, code: err.code || 'ERROR', message: err.message });
      process.exit(1);
    } finally {
      if (s.uid) process.seteuid(0);
    }
  }
  if (req.dns) {
    try { await dns(req.dns); } catch (err) { say({ ok: false, index: -1, code: err.code || 'ERROR', message: err.message }); process.exit(1); }
  }
  say({ ok: true });
}
main();
`;
