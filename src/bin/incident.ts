/**
 * `podnet incident export ID [--redis URL] [--prefix P] [--output markdown|json]`: prints an
 * incident's postmortem draft (Markdown, the default) or its record and timeline (JSON), read
 * from the Redis the bot and workers use.
 *
 * Environment: REDIS_URL (default redis://127.0.0.1:6379) or the Sentinel / Cluster settings
 * (src/config.ts `loadRedisSettings`), PODNET_QUEUE_PREFIX (default podnet).
 */
import { describeRedis, loadRedisSettings, queuePrefixFor, type RedisSettings } from '../config.js';
import { PodnetError } from '../errors.js';
import { IncidentStore } from '../incidents/store.js';
import { postmortemMarkdown, summarizeIncident } from '../incidents/summary.js';
import { connectRedis } from '../queue/redis.js';
import { EXIT } from './exit.js';
import { parseFlags } from './flags.js';

// The exit codes of src/bin/cli.ts. Not imported from there: importing cli.ts runs the CLI.

export const USAGE = `Usage: podnet incident export ID [--redis URL] [--prefix P] [--output markdown|json]

Prints an incident's postmortem draft (timeline, evidence, cause, fix, follow-ups).
  ID                 the incident id, e.g. inc-20250706-1a2b3c (in the incident's header message)
  --redis URL        Redis of the bot and workers (default: $REDIS_URL, or the Sentinel/Cluster
                     settings PODNET_REDIS_SENTINELS/PODNET_REDIS_CLUSTER_NODES, else redis://127.0.0.1:6379)
  --prefix P         their key prefix (default: $PODNET_QUEUE_PREFIX, else "podnet")
  --output FORMAT    markdown (default) or json (the record, timeline and summary)`;

export interface IncidentCliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Clock for the summary of an incident still open. */
  now?: () => Date;
}

const defaultIo: IncidentCliIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), env: process.env };

export async function main(argv: string[], io: IncidentCliIo = defaultIo): Promise<number> {
  const parsed = parseFlags(
    {
      args: argv,
      allowPositionals: true,
      options: { redis: { type: 'string' }, prefix: { type: 'string' }, output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    },
    USAGE,
  );
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(`${USAGE}\n`);
    return EXIT.ok;
  }
  const [action, id, ...extra] = positionals;
  if (action !== 'export') {
    io.err(`podnet incident: ${action === undefined ? 'missing action' : `unknown action "${action}"`}; use \`podnet incident export ID\`.\n\n${USAGE}\n`);
    return EXIT.badInput;
  }
  if (id === undefined || id === '') {
    io.err(`podnet incident export: missing the incident ID (e.g. inc-20250706-1a2b3c, shown in the incident's header message).\n`);
    return EXIT.badInput;
  }
  if (extra.length > 0) {
    io.err(`podnet incident export: unexpected argument "${extra[0]}"; give one incident ID.\n`);
    return EXIT.badInput;
  }
  const output = values.output ?? 'markdown';
  if (output !== 'markdown' && output !== 'json') {
    io.err(`podnet incident export: --output must be markdown or json, not "${output}".\n`);
    return EXIT.badInput;
  }
  const problems: string[] = [];
  const settings: RedisSettings = loadRedisSettings(values.redis !== undefined ? { REDIS_URL: values.redis } : io.env, problems);
  if (problems.length > 0) {
    io.err(`podnet incident export: ${problems.join('; ')}\n`);
    return EXIT.badInput;
  }
  // On a Redis Cluster the bot and workers hash-tag the prefix; so do we.
  const prefix = queuePrefixFor(values.prefix ?? io.env.PODNET_QUEUE_PREFIX ?? 'podnet', settings);

  let redis;
  try {
    redis = await connectRedis({ redis: settings, timeoutMs: 3000 });
  } catch (err) {
    if (err instanceof PodnetError && err.code === 'unavailable') {
      io.err(`podnet incident export: ${err.message}\n`);
      return EXIT.unreachable;
    }
    throw err;
  }
  try {
    const store = new IncidentStore({ redis, prefix });
    const incident = await store.get(id);
    if (!incident) {
      io.err(`podnet incident export: no incident "${id}" in Redis at ${describeRedis(settings)} (prefix "${prefix}"). Check the id in the incident's header message, and --redis/--prefix.\n`);
      return EXIT.failure;
    }
    const timeline = await store.timeline(id);
    const now = (io.now ?? (() => new Date()))();
    if (output === 'json') {
      const summary = summarizeIncident(incident, timeline, now);
      io.out(`${JSON.stringify({ incident, timeline, summary: { leading: summary.leading, done: summary.done, open: summary.open } }, null, 2)}\n`);
    } else {
      io.out(postmortemMarkdown(incident, timeline, now));
    }
    return EXIT.ok;
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
