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
  readonly redisUrl: string;
  /** Channel policy file; absent = deny every channel (help still answers). */
  readonly policyFile?: string;
  /** Audit log file; absent or `-` = stdout. */
  readonly auditLog?: string;
  /** Cluster whose queues a command goes to when neither it nor its channel names one. */
  readonly defaultCluster: string;
  /** Redis key prefix of podnet's queues. */
  readonly queuePrefix: string;
  readonly logLevel: string;
  /** Folder of on-call runbooks (YAML; in a cluster, a mounted ConfigMap). Default `runbooks`. */
  readonly runbooksDir: string;
  /** Port of the ops server (/healthz, /readyz, /metrics, the queue dashboard); 0 = off. Default 9464. */
  readonly opsPort: number;
  /** Basic-auth credentials of the queue dashboard (bull-board); absent = dashboard off. */
  readonly board?: BoardConfig;
}

/** The queue dashboard's login (bot only). */
export interface BoardConfig {
  readonly user: string;
  readonly password: string;
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
  try {
    const u = new URL(redisUrl);
    if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error('scheme');
  } catch {
    problems.push(`REDIS_URL is not a redis:// or rediss:// URL; use e.g. redis://127.0.0.1:6379`);
  }

  const defaultCluster = nonEmpty(env, 'PODNET_DEFAULT_CLUSTER') ?? 'default';
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(defaultCluster)) {
    problems.push(`PODNET_DEFAULT_CLUSTER "${defaultCluster}" must be a DNS-1123 label (lowercase letters, digits, '-'; at most 63)`);
  }
  const queuePrefix = nonEmpty(env, 'PODNET_QUEUE_PREFIX') ?? 'podnet';
  if (!/^[A-Za-z0-9_-]+$/.test(queuePrefix)) {
    problems.push(`PODNET_QUEUE_PREFIX "${queuePrefix}" may contain only letters, digits, '_' and '-'`);
  }
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
    ...(policyFile !== undefined && { policyFile }),
    ...(auditLog !== undefined && { auditLog }),
    defaultCluster,
    queuePrefix,
    logLevel,
    runbooksDir,
    opsPort,
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
    policyFile: config.policyFile,
    auditLog: config.auditLog,
    defaultCluster: config.defaultCluster,
    queuePrefix: config.queuePrefix,
    logLevel: config.logLevel,
    runbooksDir: config.runbooksDir,
    opsPort: config.opsPort,
    board: config.board ? { user: config.board.user, password: '[set]' } : '[off]',
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
