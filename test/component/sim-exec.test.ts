/**
 * The real client-node Exec against handleExecUpgrade on a real HTTP server: both channel
 * protocols, output channels, the status (Success, NonZeroExitCode with its ExitCode cause,
 * InternalError for a missing executable) and rejections before the upgrade.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
// Not re-exported by the package index; the handler lets a test offer only v4.
import { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable, Writable } from 'node:stream';
import WebSocket from 'ws';
import { simKubeConfig } from '../../src/sim/client-config.js';
import { handleExecUpgrade, type ExecRejection } from '../../src/sim/exec-ws.js';
import type { ExecContext } from '../../src/sim/shell/index.js';

const POD_IP = '10.42.0.15';

function context(container: string): ExecContext {
  return {
    namespace: 'financial-ml',
    pod: 'mlserver-0',
    container,
    podIP: POD_IP,
    tools: container === 'mlserver' ? ['sh', 'cat', 'readlink'] : ['sh', 'cat', 'readlink', 'nc'],
    netnsInode: 4026532201,
    listeners: [{ proto: 'tcp', address: '127.0.0.1', port: 9500, container: 'mlserver', inode: 1001 }],
    overrides: [],
  };
}

function resolve(namespace: string, pod: string, container: string): ExecContext | ExecRejection {
  if (namespace !== 'financial-ml' || pod !== 'mlserver-0') return { status: 404, reason: 'NotFound', message: `pods "${pod}" not found` };
  if (container !== 'agent' && container !== 'mlserver') {
    return { status: 400, reason: 'BadRequest', message: `container ${container} is not valid for pod ${pod}` };
  }
  return context(container);
}

let server: http.Server;
let port: number;
let kc: KubeConfig;

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    res.writeHead(404).end();
  });
  server.on('upgrade', (req, socket, head) => handleExecUpgrade(req, socket, head, resolve));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  port = (server.address() as AddressInfo).port;
  kc = simKubeConfig(`http://127.0.0.1:${port}`);
});

afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
});

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

interface Result {
  stdout: string;
  stderr: string;
  status: V1Status | undefined;
  protocol: string;
}

/** One exec with client-node; resolves when the socket closes (after the status). */
async function exec(
  container: string,
  command: string[],
  options: { protocols?: string[]; stdin?: Readable; pod?: string } = {},
): Promise<Result> {
  const handler = options.protocols
    ? new WebSocketHandler(kc, (uri, _protocols, opts) => new WebSocket(uri, options.protocols, opts) as never)
    : undefined;
  const client = new Exec(kc, handler);
  const stdout = new Collect();
  const stderr = new Collect();
  let status: V1Status | undefined;
  const ws = await client.exec('financial-ml', options.pod ?? 'mlserver-0', container, command, stdout, stderr, options.stdin ?? null, false, (s) => {
    status = s;
  });
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error('exec did not finish in 5 s')), 5000);
    ws.on('close', () => {
      clearTimeout(timer);
      done();
    });
  });
  return { stdout: stdout.text, stderr: stderr.text, status, protocol: ws.protocol };
}

describe('exec over WebSocket with client-node', () => {
  it('v5 by default: stdout on channel 1 and a Success status', async () => {
    const result = await exec('agent', ['cat', '/proc/net/tcp']);
    expect(result.protocol).toBe('v5.channel.k8s.io');
    expect(result.stdout).toContain('   0: 0100007F:251C 00000000:0000 0A ');
    expect(result.stderr).toBe('');
    expect(result.status).toEqual({ metadata: {}, status: 'Success' });
  });

  it('v5: stderr on channel 2, NonZeroExitCode with the ExitCode cause', async () => {
    const result = await exec('agent', ['sh', '-c', 'nc -z -v -w 2 "$1" "$2"', 'podnet', POD_IP, '9500']);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`nc: connect to ${POD_IP} port 9500 (tcp) failed: Connection refused\n`);
    expect(result.status).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: command terminated with exit code 1',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '1' }] },
    });
  });

  it('v4 when the client offers only v4: the kubelet/containerd wording', async () => {
    const command = ['sh', '-c', 'nc -z "$1" "$2"', 'podnet', POD_IP, '9500'];
    const result = await exec('agent', command, { protocols: ['v4.channel.k8s.io'] });
    expect(result.protocol).toBe('v4.channel.k8s.io');
    expect(result.status?.message).toBe(
      `command terminated with non-zero exit code: error executing command [sh -c nc -z "$1" "$2" podnet ${POD_IP} 9500], exit code 1`,
    );
    expect(result.status?.details?.causes).toEqual([{ reason: 'ExitCode', message: '1' }]);
    const ok = await exec('agent', ['readlink', '/proc/self/ns/net'], { protocols: ['v4.channel.k8s.io'] });
    expect(ok.stdout).toBe('net:[4026532201]\n');
    expect(ok.status?.status).toBe('Success');
  });

  it('a missing executable: InternalError with the runtime message, no output', async () => {
    const result = await exec('mlserver', ['nc', '-z', '127.0.0.1', '9500']);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status?.status).toBe('Failure');
    expect(result.status?.reason).toBe('InternalError');
    expect(result.status?.code).toBe(500);
    expect(result.status?.message).toMatch(
      /^Internal error occurred: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container process: exec: "nc": executable file not found in \$PATH: unknown$/,
    );
    const v4 = await exec('mlserver', ['nc', '-z', '127.0.0.1', '9500'], { protocols: ['v4.channel.k8s.io'] });
    expect(v4.status?.message).toMatch(/^Internal error occurred: error executing command in container: failed to exec in container: /);
  });

  it('v5 stdin close signal (channel 255) is accepted', async () => {
    const result = await exec('agent', ['sh', '-c', 'echo hi'], { stdin: Readable.from([]) });
    expect(result.stdout).toBe('hi\n');
    expect(result.status?.status).toBe('Success');
  });

  it('a missing pod is refused before the upgrade', async () => {
    await expect(exec('agent', ['true'], { pod: 'nope' })).rejects.toBeDefined();
  });
});

describe('exec upgrade, raw', () => {
  /** The HTTP answer to an upgrade request that is refused. */
  function upgradeRequest(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    return new Promise((done, fail) => {
      const req = http.request({ host: '127.0.0.1', port, path, headers: { Connection: 'Upgrade', ...headers } });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      });
      req.on('upgrade', () => fail(new Error('unexpected upgrade')));
      req.on('error', fail);
      req.end();
    });
  }
  const wsHeaders = {
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Protocol': 'v5.channel.k8s.io',
  };

  it('404 with a Status body for a missing pod', async () => {
    const answer = await upgradeRequest('/api/v1/namespaces/financial-ml/pods/nope/exec?command=true&stdout=true', wsHeaders);
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'pods' },
      code: 404,
    });
  });

  it('400 for a bad container, no command, no streams, SPDY or an unknown subprotocol', async () => {
    const base = '/api/v1/namespaces/financial-ml/pods/mlserver-0/exec';
    const bad = await upgradeRequest(`${base}?command=true&stdout=true&container=nope`, wsHeaders);
    expect([bad.status, JSON.parse(bad.body).message]).toEqual([400, 'container nope is not valid for pod mlserver-0']);
    const noCommand = await upgradeRequest(`${base}?stdout=true&container=agent`, wsHeaders);
    expect(JSON.parse(noCommand.body).message).toBe('you must specify at least one command for the container');
    const noStreams = await upgradeRequest(`${base}?command=true&container=agent`, wsHeaders);
    expect(JSON.parse(noStreams.body).message).toBe('you must specify at least 1 of stdin, stdout, stderr');
    const spdy = await upgradeRequest(`${base}?command=true&stdout=true&container=agent`, { Upgrade: 'SPDY/3.1' });
    expect(spdy.status).toBe(400);
    const v1 = await upgradeRequest(`${base}?command=true&stdout=true&container=agent`, { ...wsHeaders, 'Sec-WebSocket-Protocol': 'channel.k8s.io' });
    expect(v1.status).toBe(400);
    expect(JSON.parse(v1.body).message).toContain('v5.channel.k8s.io');
  });

  it('v4.base64.channel.k8s.io sends text frames', async () => {
    const url = `ws://127.0.0.1:${port}/api/v1/namespaces/financial-ml/pods/mlserver-0/exec?command=sh&command=-c&command=echo%20out%3B%20echo%20err%201%3E%262%3B%20exit%203&container=agent&stdout=true&stderr=true`;
    const ws = new WebSocket(url, ['v4.base64.channel.k8s.io']);
    const frames: string[] = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      expect(isBinary).toBe(false);
      frames.push(data.toString());
    });
    await new Promise((done) => ws.on('close', done));
    const decoded = frames.map((f) => [f[0], Buffer.from(f.slice(1), 'base64').toString()]);
    expect(decoded[0]).toEqual(['1', 'out\n']);
    expect(decoded[1]).toEqual(['2', 'err\n']);
    expect(decoded[2]?.[0]).toBe('3');
    expect(JSON.parse(decoded[2]?.[1] ?? '{}').details).toEqual({ causes: [{ reason: 'ExitCode', message: '3' }] });
  });
});
