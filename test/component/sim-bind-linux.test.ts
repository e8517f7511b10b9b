/**
 * Proves the simulator's network model against the kernel this test runs on: real sockets
 * bound like the servers in the scenarios, real dials, and the /proc/net/tcp{,6} rows the
 * kernel writes for them. 127.0.0.2 stands in for the pod IP (every 127/8 address is local
 * on Linux, and a socket bound to 127.0.0.2 accepts only 127.0.0.2, as one bound to a pod IP).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { dial, procNetTcp, type SimListener } from '../../src/sim/netmodel.js';

const POD_IP_STAND_IN = '127.0.0.2';
const isLinux = process.platform === 'linux';

/** Whether this machine has IPv6 loopback (binding ::1 works). */
async function hasIPv6Loopback(): Promise<boolean> {
  const server = net.createServer();
  try {
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen({ host: '::1', port: 0 }, done);
    });
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}

const open: net.Server[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => new Promise((done) => s.close(done))));
});

async function listen(host: string, ipv6Only = false): Promise<number> {
  const server = net.createServer((socket) => socket.destroy());
  open.push(server);
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen({ host, port: 0, ipv6Only }, done);
  });
  return (server.address() as net.AddressInfo).port;
}

/** A real TCP dial: connected, refused, or the errno when it is neither. */
function kernelDial(host: string, port: number): Promise<string> {
  return new Promise((done) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(2000, () => {
      socket.destroy();
      done('timeout');
    });
    socket.once('connect', () => {
      socket.destroy();
      done('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED' ? 'refused' : (error.code ?? 'error')));
  });
}

interface Bind {
  proto: 'tcp' | 'tcp6';
  address: string;
  v6only?: boolean;
}

const IPV4_BINDS: Bind[] = [
  { proto: 'tcp', address: '0.0.0.0' },
  { proto: 'tcp', address: '127.0.0.1' },
  { proto: 'tcp', address: POD_IP_STAND_IN },
];
const IPV6_BINDS: Bind[] = [
  { proto: 'tcp6', address: '::' },
  { proto: 'tcp6', address: '::', v6only: true },
  { proto: 'tcp6', address: '::1' },
  { proto: 'tcp6', address: '::ffff:127.0.0.1' },
];
const IPV4_TARGETS = ['127.0.0.1', POD_IP_STAND_IN, '0.0.0.0'];
const IPV6_TARGETS = ['::1', '::', '::ffff:127.0.0.1', '::ffff:127.0.0.2'];

const bindName = (b: Bind): string => `${b.proto} ${b.address}${b.v6only ? ' (v6only)' : ''}`;

(isLinux ? describe : describe.skip)('bind rules: netmodel vs this kernel', () => {
  it('gives the kernel\'s answer for every listener × dial address', async () => {
    const ipv6 = await hasIPv6Loopback();
    if (!ipv6) console.warn('sim-bind-linux: no IPv6 loopback (::1) on this machine; IPv6 binds and dials skipped');
    const binds = ipv6 ? [...IPV4_BINDS, ...IPV6_BINDS] : IPV4_BINDS;
    const targets = ipv6 ? [...IPV4_TARGETS, ...IPV6_TARGETS] : IPV4_TARGETS;
    const kernel: Record<string, string> = {};
    const model: Record<string, string> = {};
    for (const bind of binds) {
      const port = await listen(bind.address, bind.v6only === true);
      const listener: SimListener = { proto: bind.proto, address: bind.address, port, container: 'c', inode: 1, v6only: bind.v6only };
      for (const target of targets) {
        const key = `${bindName(bind)} <- ${target}`;
        kernel[key] = await kernelDial(target, port);
        model[key] = dial([listener], target, port, POD_IP_STAND_IN);
      }
      await new Promise((done) => open.pop()?.close(done));
    }
    expect(model).toEqual(kernel);
    // The rules the analysis stands on, as the kernel showed them.
    expect(kernel[`tcp 127.0.0.1 <- ${POD_IP_STAND_IN}`]).toBe('refused');
    expect(kernel[`tcp 0.0.0.0 <- ${POD_IP_STAND_IN}`]).toBe('connected');
    expect(kernel[`tcp ${POD_IP_STAND_IN} <- 127.0.0.1`]).toBe('refused');
    if (ipv6) {
      expect(kernel['tcp6 ::1 <- 127.0.0.1']).toBe('refused');
      expect(kernel['tcp6 :: <- 127.0.0.1']).toBe('connected');
      expect(kernel['tcp 127.0.0.1 <- ::1']).toBe('refused');
    }
  });
});

/** The row of /proc/net/tcp{,6} for a listener on this port, and the header. */
function kernelRows(proto: 'tcp' | 'tcp6', addressHex: string, port: number): { header: string; row: string } {
  const lines = readFileSync(`/proc/net/${proto}`, 'utf8').split('\n');
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const row = lines.find((l) => l.includes(` ${addressHex}:${portHex} `) && / 0A /.test(l));
  if (!row) throw new Error(`no LISTEN row for ${addressHex}:${portHex} in /proc/net/${proto}`);
  return { header: lines[0] ?? '', row };
}

/** Fields that differ by nature: the slot number and the kernel pointer (%pK). */
function normalize(row: string): string {
  return row.replace(/^ *\d+:/, '   0:').replace(/ [0-9a-f]{16} /, ' 0000000000000000 ');
}

(isLinux ? describe : describe.skip)('/proc/net/tcp format: netmodel vs this kernel', () => {
  const cases: { proto: 'tcp' | 'tcp6'; address: string; hex: string }[] = [
    { proto: 'tcp', address: '127.0.0.1', hex: '0100007F' },
    { proto: 'tcp', address: '0.0.0.0', hex: '00000000' },
    { proto: 'tcp', address: POD_IP_STAND_IN, hex: '0200007F' },
    { proto: 'tcp6', address: '::1', hex: '00000000000000000000000001000000' },
    { proto: 'tcp6', address: '::', hex: '00000000000000000000000000000000' },
  ];

  it.each(cases)('$proto $address: same header, same row column by column', async ({ proto, address, hex }) => {
    if (proto === 'tcp6' && !(await hasIPv6Loopback())) {
      console.warn('sim-bind-linux: no IPv6 loopback (::1) on this machine; tcp6 format check skipped');
      return;
    }
    const port = await listen(address);
    const kernel = kernelRows(proto, hex, port);
    const fields = kernel.row.trim().split(/\s+/);
    // uid and inode are the kernel's; give the model the same, so every column must match.
    const listener: SimListener = { proto, address, port, container: 'c', uid: Number(fields[7]), inode: Number(fields[9]) };
    const [modelHeader = '', modelRow = ''] = procNetTcp([listener], proto).split('\n');
    expect(modelHeader).toBe(kernel.header);
    expect(modelRow.trim().split(/\s+/).slice(1)).toEqual(normalize(kernel.row).trim().split(/\s+/).slice(1));
    expect(modelRow).toBe(normalize(kernel.row));
  });
});
