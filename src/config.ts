/**
 * Process configuration, parsed once from the environment by an entry point (src/bin),
 * validated, and frozen. Error messages say which variable and how to fix it. Secrets are
 * kept off `toJSON`/`inspect` output so a logged config never shows them.
 */
import { inspect } from 'node:util';
import { ConfigError } from './errors.js';

export type Role = 'bot' | 'worker';

export interface SlackConfig {
  /** xoxb- token; posting and the bot's identity. */
  readonly botToken: string;
  /** Verifies request signatures (HTTP receiver). Absent only in Socket Mode. */
  readonly signingSecret?: string;
  /** xapp- token; when set the bot uses Socket Mode instead of HTTP. */
  readonly appToken?: string;
  /** Web API base URL override, e.g. http://127.0.0.1:PORT/api/ (the stand-in). */
  readonly apiUrl?: string;
  readonly socketMode: boolean;
}

export interface Config {
  readonly slack: SlackConfig;
  /** HTTP port of the bot (Bolt receiver). */
  readonly port: number;
  /** REDIS_URL (or its default); the server when `redis.mode` is `standalone`. */
  readonly redisUrl: string;
  /** Where podnet's Redis is: one server, a Sentinel-managed primary, or a Redis Cluster. */
  readonly redis: RedisSettings;
  /** Channel policy file; absent = deny every channel (help still answers). */
  readonly policyFile?: string;
  /** Audit log file; absent or `-` = stdout. */
  readonly auditLog?: string;
  /** Cluster whose queues a command goes to when neither it nor its channel names one. */
  readonly defaultCluster: string;
  /**
   * Redis key prefix of podnet's queues and of every other key podnet keeps. On a Redis Cluster
   * it is a hash tag (`{podnet}`), see {@link queuePrefixFor}.
   */
  readonly queuePrefix: string;
  readonly logLevel: string;
  /** Folder of on-call runbooks (YAML; in a cluster, a mounted ConfigMap). Default `runbooks`. */
  readonly runbooksDir: string;
  /** Port of the ops server (/healthz, /readyz, /metrics, the queue dashboard); 0 = off. Default 9464. */
  readonly opsPort: number;
  /** Basic-auth credentials of the queue dashboard (bull-board); absent = dashboard off. */
  readonly board?: BoardConfig;
  /** The Kubernetes API budget of the worker's cluster (`PODNET_KUBE_QPS`, `PODNET_KUBE_BURST`). */
  readonly kube: KubeBudgetSettings;
}

/** One cluster's Kubernetes API budget, shared by all of its workers (src/cluster/shared-budget.ts). */
export interface KubeBudgetSettings {
  readonly qps: number;
  readonly burst: number;
}

/** Defaults of {@link loadKubeBudget}; the reasoning is beside `DEFAULT_QPS` in src/cluster/rate-limit.ts. */
const KUBE_QPS_DEFAULT = 50;
const KUBE_BURST_DEFAULT = 100;

/**
 * Reads `PODNET_KUBE_QPS` (requests/s, a positive number) and `PODNET_KUBE_BURST` (a whole
 * number >= 1). Problems are pushed to `problems`. The worker and the CLI both read it.
 */
export function loadKubeBudget(env: NodeJS.ProcessEnv, problems: string[]): KubeBudgetSettings {
  const qpsText = nonEmpty(env, 'PODNET_KUBE_QPS');
  const burstText = nonEmpty(env, 'PODNET_KUBE_BURST');
  const qps = qpsText === undefined ? KUBE_QPS_DEFAULT : Number(qpsText);
  const burst = burstText === undefined ? KUBE_BURST_DEFAULT : Number(burstText);
  if (!(qps > 0) || !Number.isFinite(qps)) problems.push(`PODNET_KUBE_QPS "${qpsText}" is not a positive number of requests per second; use e.g. 50 (the default)`);
  if (!Number.isInteger(burst) || burst < 1) problems.push(`PODNET_KUBE_BURST "${burstText}" is not a whole number >= 1; use e.g. 100 (the default)`);
  return Object.freeze({ qps, burst });
}

/** {@link loadKubeBudget} for the CLI: throws ConfigError on a bad value. */
export function kubeBudgetFromEnv(env: NodeJS.ProcessEnv = process.env): KubeBudgetSettings {
  const problems: string[] = [];
  const kube = loadKubeBudget(env, problems);
  if (problems.length > 0) throw new ConfigError(problems.join('; '));
  return kube;
}

/** The queue dashboard's login (bot only). */
export interface BoardConfig {
  readonly user: string;
  readonly password: string;
}

/** A `host:port` of a sentinel or a cluster seed node. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/** Credentials and TLS of the data nodes (primary/replicas, cluster nodes). */
interface RedisAuth {
  /** ACL user (Redis 6+); absent = `default`. */
  readonly username?: string;
  readonly password?: string;
  /** TLS to the data nodes (CA from the system store, or NODE_EXTRA_CA_CERTS). */
  readonly tls: boolean;
}

/**
 * Where podnet's Redis is. Parsed from the environment by {@link loadRedisSettings}; turned into
 * an ioredis client by `createRedisClient` (src/queue/redis.ts).
 */
export type RedisSettings =
  | { readonly mode: 'standalone'; readonly url: string }
  | (RedisAuth & {
      readonly mode: 'sentinel';
      readonly sentinels: readonly RedisNode[];
      /** The master group name the sentinels monitor (`sentinel monitor NAME …`). */
      readonly name: string;
      readonly sentinelUsername?: string;
      readonly sentinelPassword?: string;
      /** TLS to the sentinels too. Default: as `tls`. */
      readonly sentinelTls: boolean;
      readonly db: number;
    })
  | (RedisAuth & { readonly mode: 'cluster'; readonly nodes: readonly RedisNode[] });

/** The Redis settings of the environment (names in the README's Settings table). */
export const REDIS_ENV = [
  'REDIS_URL',
  'PODNET_REDIS_SENTINELS',
  'PODNET_REDIS_SENTINEL_NAME',
  'PODNET_REDIS_SENTINEL_USERNAME',
  'PODNET_REDIS_SENTINEL_PASSWORD',
  'PODNET_REDIS_SENTINEL_TLS',
  'PODNET_REDIS_CLUSTER_NODES',
  'PODNET_REDIS_USERNAME',
  'PODNET_REDIS_PASSWORD',
  'PODNET_REDIS_TLS',
  'PODNET_REDIS_DB',
] as const;

function parseNodes(name: string, text: string, problems: string[]): RedisNode[] {
  const nodes: RedisNode[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    // host:port, or [v6-address]:port.
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(item);
    const port = m ? Number(m[3]) : NaN;
    if (!m || port < 1 || port > 65535) {
      problems.push(`${name}: "${item}" is not host:port; give a comma-separated list like redis-sentinel-0.redis:26379,redis-sentinel-1.redis:26379 (IPv6 as [::1]:26379)`);
      continue;
    }
    nodes.push(Object.freeze({ host: (m[1] ?? m[2]) as string, port }));
  }
  return nodes;
}

function parseBool(env: NodeJS.ProcessEnv, name: string, problems: string[]): boolean | undefined {
  const v = nonEmpty(env, name)?.toLowerCase();
  if (v === undefined) return undefined;
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  problems.push(`${name} "${env[name]}" is not a boolean; use true or false`);
  return undefined;
}

/**
 * Reads the Redis settings: `REDIS_URL` for one server (`redis://` or `rediss://`, with an ACL
 * user as `redis://user:password@host:port/db`), `PODNET_REDIS_SENTINELS` +
 * `PODNET_REDIS_SENTINEL_NAME` for a Sentinel-managed primary, or `PODNET_REDIS_CLUSTER_NODES`
 * for a Redis Cluster. Problems are pushed to `problems` (the caller throws them together).
 * The bot, the worker, the demo and `podnet incident export` all read Redis through this.
 */
export function loadRedisSettings(env: NodeJS.ProcessEnv, problems: string[]): RedisSettings {
  const urlText = nonEmpty(env, 'REDIS_URL');
  const sentinelsText = nonEmpty(env, 'PODNET_REDIS_SENTINELS');
  const clusterText = nonEmpty(env, 'PODNET_REDIS_CLUSTER_NODES');
  const url = urlText ?? 'redis://127.0.0.1:6379';
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new Error('scheme');
  } catch {
    problems.push(`REDIS_URL is not a redis:// or rediss:// URL; use e.g. redis://127.0.0.1:6379 (or rediss://user:password@host:6380 for TLS and an ACL user)`);
  }
  const sentinelOnly = ['PODNET_REDIS_SENTINEL_NAME', 'PODNET_REDIS_SENTINEL_USERNAME', 'PODNET_REDIS_SENTINEL_PASSWORD', 'PODNET_REDIS_SENTINEL_TLS', 'PODNET_REDIS_DB'];
  const nodeOnly = ['PODNET_REDIS_USERNAME', 'PODNET_REDIS_PASSWORD', 'PODNET_REDIS_TLS'];
  if (sentinelsText !== undefined && clusterText !== undefined) {
    problems.push('PODNET_REDIS_SENTINELS and PODNET_REDIS_CLUSTER_NODES are both set; podnet uses either a Sentinel-managed Redis or a Redis Cluster: unset one');
    return sealRedis({ mode: 'standalone', url });
  }
  if (sentinelsText === undefined && clusterText === undefined) {
    for (const name of [...sentinelOnly, ...nodeOnly]) {
      if (nonEmpty(env, name) !== undefined) {
        problems.push(`${name} is set but neither PODNET_REDIS_SENTINELS nor PODNET_REDIS_CLUSTER_NODES is; for one server put user, password, TLS (rediss://) and db in REDIS_URL instead`);
      }
    }
    return sealRedis({ mode: 'standalone', url });
  }
  if (urlText !== undefined) {
    problems.push(`REDIS_URL is set as well as ${sentinelsText !== undefined ? 'PODNET_REDIS_SENTINELS' : 'PODNET_REDIS_CLUSTER_NODES'}; unset REDIS_URL (credentials go in PODNET_REDIS_USERNAME/PODNET_REDIS_PASSWORD, TLS in PODNET_REDIS_TLS)`);
  }
  const username = nonEmpty(env, 'PODNET_REDIS_USERNAME');
  const password = nonEmpty(env, 'PODNET_REDIS_PASSWORD');
  const tls = parseBool(env, 'PODNET_REDIS_TLS', problems) ?? false;
  const auth = { ...(username !== undefined && { username }), ...(password !== undefined && { password }), tls };
  if (clusterText !== undefined) {
    for (const name of sentinelOnly) {
      if (nonEmpty(env, name) !== undefined) problems.push(`${name} applies to Sentinel only, but PODNET_REDIS_CLUSTER_NODES is set; unset ${name} (a Redis Cluster has only database 0)`);
    }
    const nodes = parseNodes('PODNET_REDIS_CLUSTER_NODES', clusterText, problems);
    return sealRedis({ mode: 'cluster', nodes: Object.freeze(nodes), ...auth });
  }
  const sentinels = parseNodes('PODNET_REDIS_SENTINELS', sentinelsText as string, problems);
  const name = nonEmpty(env, 'PODNET_REDIS_SENTINEL_NAME');
  if (name === undefined) {
    problems.push('PODNET_REDIS_SENTINEL_NAME is required with PODNET_REDIS_SENTINELS; set it to the master group name the sentinels monitor (`sentinel monitor NAME host port quorum`, often "mymaster")');
  }
  const dbText = nonEmpty(env, 'PODNET_REDIS_DB') ?? '0';
  const db = Number(dbText);
  if (!/^\d{1,2}$/.test(dbText)) problems.push(`PODNET_REDIS_DB "${dbText}" is not a database number; use 0..15 (default 0)`);
  const sentinelUsername = nonEmpty(env, 'PODNET_REDIS_SENTINEL_USERNAME');
  const sentinelPassword = nonEmpty(env, 'PODNET_REDIS_SENTINEL_PASSWORD');
  const sentinelTls = parseBool(env, 'PODNET_REDIS_SENTINEL_TLS', problems) ?? tls;
  return sealRedis({
    mode: 'sentinel',
    sentinels: Object.freeze(sentinels),
    name: name ?? '',
    ...(sentinelUsername !== undefined && { sentinelUsername }),
    ...(sentinelPassword !== undefined && { sentinelPassword }),
    sentinelTls,
    db,
    ...auth,
  });
}

/** Freezes the settings and keeps their passwords out of JSON and inspect output. */
function sealRedis(redis: RedisSettings): RedisSettings {
  Object.defineProperty(redis, 'toJSON', { value: () => describeRedis(redis), enumerable: false });
  Object.defineProperty(redis, inspect.custom, { value: () => describeRedis(redis), enumerable: false });
  return Object.freeze(redis);
}

/**
 * The key prefix podnet uses on this Redis. On a Redis Cluster the whole prefix becomes one
 * hash tag (`podnet` → `{podnet}`), so every key podnet and BullMQ keep lands in one slot:
 * BullMQ's Lua scripts touch many keys of a queue at once, and a check's children on the
 * `probes` queue point at their parent on `checks` ("use a queue prefix inside brackets",
 * https://docs.bullmq.io/patterns/redis-cluster). podnet's own multi-key commands (incident
 * MULTI, watch DEL, heartbeat scripts) are then slot-safe too. A prefix that is already a
 * hash tag is kept. Elsewhere the prefix is unchanged, so keys of existing installs stay put.
 */
export function queuePrefixFor(prefix: string, redis: RedisSettings): string {
  if (redis.mode !== 'cluster' || /^\{[^{}]+\}$/.test(prefix)) return prefix;
  return `{${prefix}}`;
}

/** The Redis endpoint for messages and logs: no passwords. */
export function describeRedis(redis: RedisSettings): string {
  const list = (nodes: readonly RedisNode[]) => nodes.map((n) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`)).join(',');
  if (redis.mode === 'standalone') return redis.url.replace(/\/\/([^@/]*)@/, '//***@');
  if (redis.mode === 'sentinel') return `sentinel ${redis.name} via ${list(redis.sentinels)}${redis.tls ? ' (TLS)' : ''}`;
  return `cluster ${list(redis.nodes)}${redis.tls ? ' (TLS)' : ''}`;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function nonEmpty(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

export interface LoadConfigOptions {
  /** `bot` needs a signing secret (or app token); `worker` only posts. Default `bot`. */
  role?: Role;
}

/**
 * Reads and validates the configuration. Collects every problem before throwing, so one
 * run shows all that needs fixing.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): Config {
  const role = options.role ?? 'bot';
  const problems: string[] = [];

  const botToken = nonEmpty(env, 'SLACK_BOT_TOKEN');
  if (botToken === undefined) {
    problems.push('SLACK_BOT_TOKEN is required; set it to the Bot User OAuth Token (xoxb-…) from your Slack app\'s OAuth & Permissions page');
  } else if (!/^xox[bp]-/.test(botToken)) {
    problems.push('SLACK_BOT_TOKEN does not look like a bot token (it should start with xoxb-); copy it from OAuth & Permissions');
  }

  const appToken = nonEmpty(env, 'SLACK_APP_TOKEN');
  if (appToken !== undefined && !appToken.startsWith('xapp-')) {
    problems.push('SLACK_APP_TOKEN must be an app-level token starting with xapp- (Basic Information → App-Level Tokens, scope connections:write); unset it to use HTTP');
  }
  const signingSecret = nonEmpty(env, 'SLACK_SIGNING_SECRET');
  if (role === 'bot' && appToken === undefined && signingSecret === undefined) {
    problems.push(
      "SLACK_SIGNING_SECRET is required for the HTTP receiver; set it from your Slack app's Basic Information page (or set SLACK_APP_TOKEN for Socket Mode)",
    );
  }

  const apiUrl = nonEmpty(env, 'SLACK_API_URL');
  if (apiUrl !== undefined) {
    try {
      const u = new URL(apiUrl);
      if (!/^https?:$/.test(u.protocol)) throw new Error('scheme');
    } catch {
      problems.push(`SLACK_API_URL "${apiUrl}" is not an http(s) URL; use e.g. http://127.0.0.1:3100/api/ or unset it for slack.com`);
    }
  }

  const portText = nonEmpty(env, 'PORT') ?? '3000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 0 || port > 65535) {
    problems.push(`PORT "${portText}" is not a port number; use 0..65535 (default 3000)`);
  }

  const redisUrl = nonEmpty(env, 'REDIS_URL') ?? 'redis://127.0.0.1:6379';
  const redis = loadRedisSettings(env, problems);
  const kube = loadKubeBudget(env, problems);

  const defaultCluster = nonEmpty(env, 'PODNET_DEFAULT_CLUSTER') ?? 'default';
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(defaultCluster)) {
    problems.push(`PODNET_DEFAULT_CLUSTER "${defaultCluster}" must be a DNS-1123 label (lowercase letters, digits, '-'; at most 63)`);
  }
  const prefixText = nonEmpty(env, 'PODNET_QUEUE_PREFIX') ?? 'podnet';
  if (!/^(?:[A-Za-z0-9_-]+|\{[A-Za-z0-9_-]+\})$/.test(prefixText)) {
    problems.push(`PODNET_QUEUE_PREFIX "${prefixText}" may contain only letters, digits, '_' and '-' (optionally inside one {hash tag})`);
  }
  const queuePrefix = queuePrefixFor(prefixText, redis);
  const logLevel = (nonEmpty(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  const runbooksDir = nonEmpty(env, 'PODNET_RUNBOOKS_DIR') ?? 'runbooks';
  if (!LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL "${logLevel}" is not one of ${LEVELS.join(', ')}`);

  // PODNET_OPS_PORT; OPS_PORT is the older name the worker reads too.
  const opsName = nonEmpty(env, 'PODNET_OPS_PORT') !== undefined ? 'PODNET_OPS_PORT' : 'OPS_PORT';
  const opsText = nonEmpty(env, opsName) ?? '9464';
  const opsPort = Number(opsText);
  if (!/^\d+$/.test(opsText) || opsPort > 65535) {
    problems.push(`${opsName} "${opsText}" is not a port number; use 1..65535 (default 9464), or 0 to turn the ops server off`);
  }
  const boardUser = nonEmpty(env, 'PODNET_BOARD_USER');
  const boardPassword = nonEmpty(env, 'PODNET_BOARD_PASSWORD');
  if (role === 'bot' && (boardUser === undefined) !== (boardPassword === undefined)) {
    const missing = boardUser === undefined ? 'PODNET_BOARD_USER' : 'PODNET_BOARD_PASSWORD';
    const given = boardUser === undefined ? 'PODNET_BOARD_PASSWORD' : 'PODNET_BOARD_USER';
    problems.push(`${given} is set but ${missing} is not; the queue dashboard needs both (HTTP basic auth), or unset both to keep it off`);
  }

  if (problems.length > 0) {
    throw new ConfigError(problems.length === 1 ? (problems[0] as string) : `Configuration has ${problems.length} problems: ${problems.join('; ')}`);
  }

  const slack: SlackConfig = {
    botToken: botToken as string,
    ...(signingSecret !== undefined && { signingSecret }),
    ...(appToken !== undefined && { appToken }),
    ...(apiUrl !== undefined && { apiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/` }),
    socketMode: appToken !== undefined,
  };
  hideSecrets(slack);
  const policyFile = nonEmpty(env, 'PODNET_POLICY_FILE');
  const auditLog = nonEmpty(env, 'PODNET_AUDIT_LOG');
  const config: Config = {
    slack: Object.freeze(slack),
    port,
    redisUrl,
    redis,
    ...(policyFile !== undefined && { policyFile }),
    ...(auditLog !== undefined && { auditLog }),
    defaultCluster,
    queuePrefix,
    logLevel,
    runbooksDir,
    opsPort,
    kube,
    ...(role === 'bot' && boardUser !== undefined && boardPassword !== undefined && { board: hideBoard({ user: boardUser, password: boardPassword }) }),
  };
  Object.defineProperty(config, 'toJSON', { value: () => describeConfig(config), enumerable: false });
  Object.defineProperty(config, inspect.custom, { value: () => describeConfig(config), enumerable: false });
  return Object.freeze(config);
}

/** A copy safe to log: secrets replaced by whether they are set; credentials in URLs masked. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    slack: {
      botToken: config.slack.botToken ? '[set]' : '[unset]',
      signingSecret: config.slack.signingSecret ? '[set]' : '[unset]',
      appToken: config.slack.appToken ? '[set]' : '[unset]',
      apiUrl: config.slack.apiUrl,
      socketMode: config.slack.socketMode,
    },
    port: config.port,
    redisUrl: config.redisUrl.replace(/\/\/([^@/]*)@/, '//[redacted]@'),
    redis: describeRedis(config.redis),
    policyFile: config.policyFile,
    auditLog: config.auditLog,
    defaultCluster: config.defaultCluster,
    queuePrefix: config.queuePrefix,
    logLevel: config.logLevel,
    runbooksDir: config.runbooksDir,
    opsPort: config.opsPort,
    board: config.board ? { user: config.board.user, password: '[set]' } : '[off]',
    kube: config.kube,
  };
}

/** Keeps the dashboard password out of JSON and inspect output. */
function hideBoard(board: BoardConfig): BoardConfig {
  const safe = () => ({ user: board.user, password: '[set]' });
  Object.defineProperty(board, 'toJSON', { value: safe, enumerable: false });
  Object.defineProperty(board, inspect.custom, { value: safe, enumerable: false });
  return Object.freeze(board);
}

/** Makes `console.log(config.slack)` / util.inspect show no secret values. */
function hideSecrets(slack: SlackConfig): void {
  const safe = () => ({
    botToken: '[set]',
    signingSecret: slack.signingSecret ? '[set]' : '[unset]',
    appToken: slack.appToken ? '[set]' : '[unset]',
    apiUrl: slack.apiUrl,
    socketMode: slack.socketMode,
  });
  Object.defineProperty(slack, 'toJSON', { value: safe, enumerable: false });
  Object.defineProperty(slack, inspect.custom, { value: () => safe(), enumerable: false });
}
