/**
 * Real Redis topologies for tests, started from Debian's redis-server on free local ports: a
 * Sentinel-managed primary with a replica and three sentinels (redis-server --sentinel), and a
 * three-primary Redis Cluster (cluster-enabled, slots assigned by `redis-cli --cluster
 * create`). Every process is stopped by its PID and the temp folder removed on `stop()`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RedisSettings } from '../../src/config.js';
import { freePort } from './free-port.js';

const run = promisify(execFile);

/** A redis-server process of a test topology. */
export interface RedisProc {
  port: number;
  child: ChildProcess;
  /** SIGKILLs it and waits for its exit. */
  kill(): Promise<void>;
}

/** redis-cli against one server; resolves with its stdout. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
  return stdout.trim();
}

async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

class Procs {
  readonly dir = mkdtempSync(join(tmpdir(), 'podnet-redis-'));
  readonly list: RedisProc[] = [];

  async start(name: string, args: string[], config?: string): Promise<RedisProc> {
    const port = await freePort();
    const argv = config === undefined ? [] : [join(this.dir, `${name}.conf`)];
    if (config !== undefined) writeFileSync(argv[0]!, `port ${port}\nbind 127.0.0.1\ndir ${this.dir}\n${config}`);
    const child = spawn('redis-server', [...argv, ...(config === undefined ? ['--port', String(port), '--bind', '127.0.0.1', '--dir', this.dir] : []), '--save', '', '--appendonly', 'no', '--logfile', join(this.dir, `${name}.log`), ...args], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const proc: RedisProc = {
      port,
      child,
      async kill() {
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
        await exited;
      },
    };
    this.list.push(proc);
    await until(`${name} on :${port}`, 10_000, async () => (await redisCli(port, 'PING')) === 'PONG');
    return proc;
  }

  async stop(): Promise<void> {
    await Promise.all(this.list.map((p) => p.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface SentinelSet {
  /** The master group name the sentinels monitor. */
  name: string;
  primary: RedisProc;
  replica: RedisProc;
  sentinels: RedisProc[];
  /** The settings podnet reads from PODNET_REDIS_SENTINELS / PODNET_REDIS_SENTINEL_NAME. */
  settings: RedisSettings;
  /** The environment that selects this set (for the CLI and bins). */
  env: Record<string, string>;
  /** The port of the server the sentinels currently name as primary. */
  currentPrimaryPort(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A primary, a replica and three sentinels (quorum 2) that declare the primary down after
 * `downAfterMs` (default 1000) of silence and fail over to the replica.
 */
export async function startSentinelSet(options: { downAfterMs?: number } = {}): Promise<SentinelSet> {
  const procs = new Procs();
  const name = 'podnet-test';
  try {
    const primary = await procs.start('primary', []);
    const replica = await procs.start('replica', ['--replicaof', '127.0.0.1', String(primary.port)]);
    await until('the replica to sync', 10_000, async () => (await redisCli(replica.port, 'INFO', 'replication')).includes('master_link_status:up'));
    const sentinels: RedisProc[] = [];
    for (let i = 0; i < 3; i++) {
      sentinels.push(
        await procs.start(`sentinel-${i}`, ['--sentinel'], [
          `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
          `sentinel failover-timeout ${name} 10000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n')),
      );
    }
    // Ready when every sentinel knows the replica and the other two sentinels.
    await until('the sentinels to find each other', 20_000, async () => {
      for (const s of sentinels) {
        const info = await redisCli(s.port, 'SENTINEL', 'MASTER', name);
        const lines = info.split('\n');
        const field = (k: string) => Number(lines[lines.indexOf(k) + 1]);
        if (field('num-slaves') < 1 || field('num-other-sentinels') < 2) return false;
      }
      return true;
    });
    const sentinelList = sentinels.map((s) => `127.0.0.1:${s.port}`).join(',');
    return {
      name,
      primary,
      replica,
      sentinels,
      settings: { mode: 'sentinel', sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })), name, sentinelTls: false, tls: false, db: 0 },
      env: { PODNET_REDIS_SENTINELS: sentinelList, PODNET_REDIS_SENTINEL_NAME: name },
      async currentPrimaryPort() {
        for (const s of sentinels) {
          const out = await redisCli(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name).catch(() => '');
          const port = Number(out.split('\n')[1]);
          if (port > 0) return port;
        }
        throw new Error('no sentinel names a primary');
      },
      stop: () => procs.stop(),
    };
  } catch (err) {
    await procs.stop();
    throw err;
  }
}

export interface RedisClusterSet {
  nodes: RedisProc[];
  settings: RedisSettings;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Three cluster-enabled primaries (no replicas) with all 16384 slots assigned. */
export async function startRedisCluster(): Promise<RedisClusterSet> {
  const procs = new Procs();
  try {
    const nodes: RedisProc[] = [];
    for (let i = 0; i < 3; i++) {
      // The cluster bus defaults to port+10000, which may be taken or past 65535: pick it too.
      const bus = await freePort();
      nodes.push(await procs.start(`node-${i}`, ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`, '--cluster-port', String(bus), '--cluster-node-timeout', '5000']));
    }
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    await until('cluster_state:ok on every node', 20_000, async () => {
      for (const n of nodes) if (!(await redisCli(n.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
      return true;
    });
    const list = nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
    return {
      nodes,
      settings: { mode: 'cluster', nodes: nodes.map((n) => ({ host: '127.0.0.1', port: n.port })), tls: false },
      env: { PODNET_REDIS_CLUSTER_NODES: list },
      stop: () => procs.stop(),
    };
  } catch (err) {
    await procs.stop();
    throw err;
  }
}
