import { decodeIPv4Hex, decodeIPv6Hex, parseProcNetTcp } from '../../src/probes/proc-net.js';

// Rows as the kernel prints them (5.x/6.x), header included.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:251C 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 31337 1 0000000000000000 100 0 0 10 0
   1: 00000000:15C4 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 22001 1 0000000000000000 100 0 0 10 0
   2: 11012A0A:2328 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 22002 1 0000000000000000 100 0 0 10 0
   3: 0100007F:251C 0100007F:A1B2 01 00000000:00000000 00:00000000 00000000  1000        0 31338 1 0000000000000000 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:251C 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 40001 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000000000000:2355 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 40002 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 40003 1 0000000000000000 100 0 0 10 0
`;

describe('/proc/net/tcp parsing', () => {
  it('decodes host-order IPv4 addresses', () => {
    expect(decodeIPv4Hex('0100007F')).toBe('127.0.0.1');
    expect(decodeIPv4Hex('00000000')).toBe('0.0.0.0');
    expect(decodeIPv4Hex('11012A0A')).toBe('10.42.1.17');
  });

  it('decodes tcp6 words in host order', () => {
    expect(decodeIPv6Hex('00000000000000000000000001000000')).toBe('::1');
    expect(decodeIPv6Hex('00000000000000000000000000000000')).toBe('::');
    expect(decodeIPv6Hex('0000000000000000FFFF00000100007F')).toBe('::ffff:127.0.0.1');
    expect(decodeIPv6Hex('B80D0120000000000000000001000000')).toBe('2001:db8::1');
  });

  it('keeps LISTEN rows only, with port, inode, uid and the raw row', () => {
    const l = parseProcNetTcp(TCP, 'tcp');
    expect(l.map((x) => `${x.address}:${x.port}`)).toEqual(['127.0.0.1:9500', '0.0.0.0:5572', '10.42.1.17:9000']);
    expect(l[0]).toMatchObject({ proto: 'tcp', inode: 31337, uid: 1000 });
    expect(l[0]!.raw.startsWith('0: 0100007F:251C')).toBe(true);
  });

  it('parses tcp6 tables', () => {
    const l = parseProcNetTcp(TCP6, 'tcp6');
    expect(l.map((x) => `[${x.address}]:${x.port}`)).toEqual(['[::1]:9500', '[::]:9045', '[::ffff:127.0.0.1]:8080']);
  });

  it('ignores garbage and an empty table', () => {
    expect(parseProcNetTcp('cat: /proc/net/tcp6: No such file or directory\n', 'tcp6')).toEqual([]);
    expect(parseProcNetTcp(TCP.split('\n')[0]!, 'tcp')).toEqual([]);
  });
});
