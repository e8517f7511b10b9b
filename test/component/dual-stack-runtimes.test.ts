/**
 * The facts behind ip-family-mismatch's advice, checked on this machine's kernel and runtimes
 * rather than assumed: Python asyncio (uvicorn, MLServer's REST server) sets IPV6_V6ONLY on a
 * `::` server socket, so it refuses 127.0.0.1; Node's `::` listener is dual-stack; and the two
 * `/proc/net/tcp6` rows look the same — which is why podnet takes the flag from a live dial
 * (facts.ts v6OnlyPorts), never from the row.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { parseProcNetTcp } from '../../src/probes/proc-net.js';
import { listenerAccepts } from '../../src/analysis/net.js';

function dial(host: string, port: number): Promise<'connected' | 'refused'> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' ? resolve('refused') : reject(e)));
  });
}

/** A Python asyncio server on [::]:0; resolves with its port once it listens. */
function pythonAsyncioServer(): Promise<{ proc: ChildProcess; port: number }> {
  const code = [
    'import asyncio, sys',
    'async def main():',
    "    srv = await asyncio.start_server(lambda r, w: w.close(), host='::', port=0)",
    '    print(srv.sockets[0].getsockname()[1], flush=True)',
    '    await asyncio.sleep(60)',
    'asyncio.run(main())',
  ].join('\n');
  const proc = spawn('python3', ['-c', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    proc.stdout!.once('data', (d: Buffer) => resolve({ proc, port: Number(d.toString().trim()) }));
    proc.once('error', reject);
    proc.once('exit', (c) => reject(new Error(`python3 exited ${c}`)));
  });
}

function tcp6Row(port: number) {
  return parseProcNetTcp(readFileSync('/proc/net/tcp6', 'utf8'), 'tcp6').find((l) => l.port === port);
}

describe('`::` listeners on this machine', () => {
  it('Python asyncio on [::] refuses 127.0.0.1 (IPV6_V6ONLY), though its /proc/net/tcp6 row is a plain ::', async () => {
    const { proc, port } = await pythonAsyncioServer();
    try {
      expect(await dial('127.0.0.1', port)).toBe('refused');
      expect(await dial('::1', port)).toBe('connected');
      const row = tcp6Row(port)!;
      expect(row.address).toBe('::');
      // The row alone says "possibly dual-stack"; only the refused dial says v6-only.
      expect(listenerAccepts(row, '127.0.0.1')).toBe(true);
      expect(listenerAccepts(row, '127.0.0.1', { v6only: true })).toBe(false);
    } finally {
      proc.kill('SIGKILL');
    }
  });

  it('Node on :: is dual-stack and its row is the same plain ::', async () => {
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen({ host: '::', port: 0 }, r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      expect(await dial('127.0.0.1', port)).toBe('connected');
      expect(tcp6Row(port)!.address).toBe('::');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
