import { describe, expect, it } from '@jest/globals';
import {
  acceptsDial,
  dial,
  isLocalAddress,
  parseAddress,
  parseIPv6,
  procNetTcp,
  resolveHost,
  type SimListener,
} from '../../src/sim/netmodel.js';

const POD_IP = '10.42.0.15';
const listener = (proto: 'tcp' | 'tcp6', address: string, port = 9500, extra: Partial<SimListener> = {}): SimListener => ({
  proto,
  address,
  port,
  container: 'mlserver',
  inode: 12345,
  ...extra,
});

describe('acceptsDial (Linux bind rules)', () => {
  const cases: [SimListener, string, boolean][] = [
    [listener('tcp', '0.0.0.0'), '127.0.0.1', true],
    [listener('tcp', '0.0.0.0'), '127.0.0.2', true],
    [listener('tcp', '0.0.0.0'), POD_IP, true],
    [listener('tcp', '0.0.0.0'), '::1', false],
    [listener('tcp', '0.0.0.0'), '0.0.0.0', true],
    [listener('tcp', '127.0.0.1'), '127.0.0.1', true],
    [listener('tcp', '127.0.0.1'), '0.0.0.0', true],
    [listener('tcp', '127.0.0.1'), '127.0.0.2', false],
    [listener('tcp', '127.0.0.1'), POD_IP, false],
    [listener('tcp', '127.0.0.1'), '::1', false],
    [listener('tcp', '127.0.0.1'), '::ffff:127.0.0.1', true],
    [listener('tcp', POD_IP), POD_IP, true],
    [listener('tcp', POD_IP), '127.0.0.1', false],
    [listener('tcp6', '::'), '::1', true],
    [listener('tcp6', '::'), '127.0.0.1', true],
    [listener('tcp6', '::'), POD_IP, true],
    [listener('tcp6', '::', 9500, { v6only: true }), '127.0.0.1', false],
    [listener('tcp6', '::', 9500, { v6only: true }), '::1', true],
    [listener('tcp6', '::1'), '::1', true],
    [listener('tcp6', '::1'), '::', true],
    [listener('tcp6', '::1'), '127.0.0.1', false],
    [listener('tcp6', '0:0:0:0:0:0:0:1'), '::1', true],
    [listener('tcp6', '::ffff:127.0.0.1'), '127.0.0.1', true],
    [listener('tcp6', '::ffff:127.0.0.1'), '::1', false],
    [listener('tcp', '0.0.0.0'), 'localhost', false],
  ];
  it.each(cases)('%j accepts a dial to %s: %s', (l, address, expected) => {
    expect(acceptsDial(l, address)).toBe(expected);
  });

  it('bindv6only=true makes :: refuse IPv4', () => {
    expect(acceptsDial(listener('tcp6', '::'), '127.0.0.1', true)).toBe(false);
    expect(acceptsDial(listener('tcp6', '::'), '::1', true)).toBe(true);
  });
});

describe('dial', () => {
  it('needs a listener on the port', () => {
    expect(dial([listener('tcp', '0.0.0.0', 9000)], '127.0.0.1', 9500)).toBe('refused');
    expect(dial([listener('tcp', '0.0.0.0', 9500)], '127.0.0.1', 9500)).toBe('connected');
  });

  it('pod IP only when it is this pod\'s IP', () => {
    const ls = [listener('tcp', '0.0.0.0')];
    expect(dial(ls, POD_IP, 9500, POD_IP)).toBe('connected');
    // Not this pod's address, and no network to route it: the SYN is lost.
    expect(dial(ls, POD_IP, 9500)).toBe('timeout');
    expect(dial(ls, '10.42.0.99', 9500, POD_IP)).toBe('timeout');
  });

  it('addresses outside the namespace go through the network; loopback and the pod IP never do', () => {
    const seen: string[] = [];
    const network = { route: (a: string, p: number) => (seen.push(`${a}:${p}`), a === '10.42.0.97' ? 'refused' as const : 'timeout' as const) };
    const ls = [listener('tcp', '0.0.0.0')];
    expect(dial(ls, '10.42.0.97', 9500, POD_IP, network)).toBe('refused');
    expect(dial(ls, '10.42.0.98', 9500, POD_IP, network)).toBe('timeout');
    expect(dial(ls, '127.0.0.1', 9500, POD_IP, network)).toBe('connected');
    expect(dial(ls, POD_IP, 9500, POD_IP, network)).toBe('connected');
    expect(dial(ls, POD_IP, 9501, POD_IP, network)).toBe('refused');
    expect(seen).toEqual(['10.42.0.97:9500', '10.42.0.98:9500']);
  });

  it('the seed incident: loopback-only server refuses the pod IP (kubelet probes)', () => {
    const ls = [listener('tcp', '127.0.0.1', 9500)];
    expect(dial(ls, '127.0.0.1', 9500, POD_IP)).toBe('connected');
    expect(dial(ls, POD_IP, 9500, POD_IP)).toBe('refused');
  });

  it('localhost tries ::1 then 127.0.0.1', () => {
    expect(dial([listener('tcp', '127.0.0.1')], 'localhost', 9500)).toBe('connected');
    expect(dial([listener('tcp6', '::1')], 'localhost', 9500)).toBe('connected');
    expect(dial([listener('tcp6', '::1')], '127.0.0.1', 9500)).toBe('refused');
    expect(dial([], 'localhost', 9500)).toBe('refused');
  });

  it('unknown names are unresolved (the pod\'s resolver answers NXDOMAIN)', () => {
    expect(dial([listener('tcp', '0.0.0.0')], 'mlserver.svc', 9500)).toBe('unresolved');
  });
});

describe('addresses', () => {
  it('parses IPv6 forms', () => {
    expect(parseIPv6('::1')).toEqual([...new Array(15).fill(0), 1]);
    expect(parseIPv6('[::1]')).toEqual([...new Array(15).fill(0), 1]);
    expect(parseIPv6('fd00::2')?.slice(0, 2)).toEqual([0xfd, 0]);
    expect(parseIPv6('1:2:3:4:5:6:7:8:9')).toBeUndefined();
    expect(parseIPv6('1::2::3')).toBeUndefined();
    expect(parseAddress('::ffff:10.0.0.1')).toEqual({ family: 4, bytes: [10, 0, 0, 1] });
    expect(parseAddress('256.0.0.1')).toBeUndefined();
  });

  it('knows what is local', () => {
    expect(isLocalAddress('127.9.9.9')).toBe(true);
    expect(isLocalAddress('::1')).toBe(true);
    expect(isLocalAddress(POD_IP, POD_IP)).toBe(true);
    expect(isLocalAddress('10.0.0.1', POD_IP)).toBe(false);
  });

  it('resolves localhost like getaddrinfo with kubelet /etc/hosts', () => {
    expect(resolveHost('localhost')).toEqual(['::1', '127.0.0.1']);
    expect(resolveHost('127.0.0.1')).toEqual(['127.0.0.1']);
    expect(resolveHost('mlserver-0', { podIP: POD_IP, hostnames: ['mlserver-0'] })).toEqual([POD_IP]);
    expect(resolveHost('nope')).toBeUndefined();
  });
});

describe('procNetTcp', () => {
  const ls: SimListener[] = [
    listener('tcp', '127.0.0.1', 9500, { inode: 12345 }),
    listener('tcp', '0.0.0.0', 8080, { inode: 7, uid: 1000 }),
    listener('tcp6', '::1', 9000, { inode: 555 }),
    listener('tcp6', '::', 8081, { inode: 556 }),
  ];

  it('prints tcp as the kernel does: header and rows padded to 149 columns', () => {
    const text = procNetTcp(ls, 'tcp');
    const lines = text.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    for (const line of lines.slice(0, 3)) expect(line).toHaveLength(149);
    expect(lines[0]?.trimEnd()).toBe(
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    );
    expect(lines[1]?.trimEnd()).toBe(
      '   0: 0100007F:251C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0',
    );
    expect(lines[2]?.trimEnd()).toBe(
      '   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 7 1 0000000000000000 100 0 0 10 0',
    );
  });

  it('prints tcp6 unpadded with words in host byte order', () => {
    const lines = procNetTcp(ls, 'tcp6').split('\n');
    expect(lines[0]).toBe(
      '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    );
    expect(lines[1]).toBe(
      '   0: 00000000000000000000000001000000:2328 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 555 1 0000000000000000 100 0 0 10 0',
    );
    expect(lines[2]?.startsWith('   1: 00000000000000000000000000000000:1F91 ')).toBe(true);
    expect(lines[3]).toBe('');
  });

  it('prints only the header when nothing listens', () => {
    expect(procNetTcp([], 'tcp').split('\n')).toHaveLength(2);
    expect(procNetTcp([], 'tcp6')).toMatch(/^ {2}sl {2}local_address {25}remote_address .*inode\n$/);
  });

  it('rejects an address of the wrong family', () => {
    expect(() => procNetTcp([listener('tcp', '::1')], 'tcp')).toThrow(/not an IPv4 address/);
  });
});
