/**
 * `podnet demo [--scenario FILE] [--command "check POD -n NS"]`: the whole loop on one
 * machine, nothing faked above the wire. The simulator serves a scenario over the Kubernetes
 * API; a Slack API stand-in records what the bot posts; the real Bolt app takes a SIGNED
 * slash command over HTTP and enqueues into Redis; a real worker probes the simulator with
 * client-node, analyses, and posts. Then (the default command, or --fix) alice presses *Apply
 * fix* on the summary: the press goes through the same signed path, the worker applies the
 * patch and verifies it. Prints a transcript of what a person would see in Slack, then shuts
 * everything down and removes its queues.
 *
 * Needs Redis (REDIS_URL, default redis://127.0.0.1:6379, or a Sentinel-managed Redis or Redis
 * Cluster: PODNET_REDIS_SENTINELS / PODNET_REDIS_CLUSTER_NODES); exits 3 with how to start one.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Job, Queue } from 'bullmq';
import { memoryAuditLog } from '../authz/audit.js';
import { parsePolicy } from '../authz/policy.js';
import { createClusterAccess } from '../cluster/client.js';
import { describeRedis, loadRedisSettings, queuePrefixFor } from '../config.js';
import { BadInputError, ConfigError, PodnetError } from '../errors.js';
import { createLogger, silentLogger } from '../logger.js';
import { removePrefix } from '../queue/cleanup.js';
import { queueName } from '../queue/contracts.js';
import { defaultDeps } from '../queue/default-deps.js';
import { connectRedis, type RedisClient } from '../queue/redis.js';
import { startWorkers } from '../compose/workers.js';
import { startSimulator } from '../sim/server.js';
import { LAB_ARG_OPTIONS, LAB_USAGE, labOptionsFrom } from '../lab/cli.js';
import { createBot } from '../compose/bot.js';
import { SlackPoster } from '../slack/poster.js';
import { startSlackStandIn, type SlackStandIn, type StoredMessage } from '../slack/stand-in.js';
import { blockActionBody, postSigned, slashCommandBody } from '../slack/testing.js';
import { SLACK_ACTIONS } from '../render/slack.js';
import { blocksToText, indent } from './demo-transcript.js';
import { EXIT } from './exit.js';
import { parseFlags } from './flags.js';

const USAGE = `Usage: podnet demo [--scenario FILE] [--command "check POD -n NS"]... [--timeout SECONDS] [--fix] [--lab [--lab-tools SPEC]]

Runs the simulator, a Slack API stand-in, the bot and a worker on this machine, sends signed
/podnet slash commands (each once the previous one is answered) and prints what Slack would
show, including files podnet uploads.
  --scenario FILE   scenario to simulate (default scenarios/seed-incident.yaml)
  --command TEXT    a slash command's text; repeat for several
                    (default "check mlserver-0 -n financial-ml")
  --timeout S       how long to wait for each answer (default 30)
  --fix             then press Apply fix on the first summary, as alice (an intrusive user
                    of the channel): the validated patch is applied (field manager podnet)
                    and verified with a 3 s settle period (the simulated cluster does not
                    drift on its own). On by default when no --command is given
${LAB_USAGE}
Needs Redis: REDIS_URL (default redis://127.0.0.1:6379), or PODNET_REDIS_SENTINELS with
PODNET_REDIS_SENTINEL_NAME, or PODNET_REDIS_CLUSTER_NODES (see the README's Settings).`;

const CHANNEL = 'C0MLONCALL';
const CHANNEL_NAME = 'ml-oncall';
const CLUSTER = 'demo';
const ALICE = 'U0ALICE001';

interface Step {
  name: string;
  close: () => Promise<unknown>;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    {
      args: argv,
      options: { scenario: { type: 'string' }, command: { type: 'string', multiple: true }, timeout: { type: 'string' }, fix: { type: 'boolean' }, ...LAB_ARG_OPTIONS, help: { type: 'boolean', short: 'h' } },
      strict: true,
    },
    USAGE,
  );
  if (values.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const scenario = resolve(values.scenario ?? 'scenarios/seed-incident.yaml');
  const lab = labOptionsFrom(values, scenario);
  const texts = values.command?.length ? values.command : ['check mlserver-0 -n financial-ml'];
  const timeoutS = Number(values.timeout ?? 30);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new BadInputError(`--timeout must be a number of seconds, not "${values.timeout}".`);
  const logger = process.env.LOG_LEVEL ? createLogger({ name: 'podnet-demo' }) : silentLogger;

  const problems: string[] = [];
  const redisSettings = loadRedisSettings(process.env, problems);
  if (problems.length > 0) throw new ConfigError(problems.join('; '));
  let redis: RedisClient;
  try {
    redis = await connectRedis({ redis: redisSettings });
  } catch (err) {
    if (err instanceof PodnetError && err.code === 'unavailable') {
      console.error(`podnet demo: ${err.message}`);
      return EXIT.unreachable;
    }
    throw err;
  }

  // Everything started is stopped in reverse order, whatever happens.
  const started: Step[] = [{ name: 'redis', close: () => redis.quit() }];
  const prefix = queuePrefixFor(`podnet-demo-${randomUUID().slice(0, 8)}`, redisSettings);
  started.push({ name: 'queues', close: () => removePrefix(redis, prefix, [CLUSTER]) });
  try {
    const sim = await startSimulator({ scenario, port: 0, ...(lab ? { lab } : {}) });
    started.push({ name: 'simulator', close: () => sim.close() });
    const slack = await startSlackStandIn();
    started.push({ name: 'slack stand-in', close: () => slack.close() });

    const clusterAccess = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), logger });
    const poster = new SlackPoster({ token: 'xoxb-podnet-demo', slackApiUrl: slack.url, redis, keyPrefix: `${prefix}:posted:`, logger });
    // A 3 s settle period: the simulated cluster does not drift on its own.
    const deps = { ...defaultDeps(), fixVerify: { settleMs: 3000, intervalMs: 1000, deadlineMs: 60_000 } };
    const workers = await startWorkers({ connection: redis, cluster: CLUSTER, clusterAccess, poster, logger, deps, prefix });
    started.push({ name: 'workers', close: () => workers.close() });

    // A fresh signing secret per run: the demo proves the signature path, not a shared secret.
    const signingSecret = randomBytes(32).toString('hex');
    const app = createBot({
      config: { slack: { botToken: 'xoxb-podnet-demo', signingSecret, apiUrl: slack.url, socketMode: false }, defaultCluster: CLUSTER, queuePrefix: prefix },
      redis,
      // alice may take intrusive actions here: the summary offers her *Apply fix*.
      policy: parsePolicy({ default: 'deny', channels: [{ id: CHANNEL, name: CHANNEL_NAME, namespaces: ['*'], intrusive: { users: [ALICE] } }] }),
      audit: memoryAuditLog(),
      logger,
      app: { botId: 'B0PODNET', botUserId: 'U0PODNETBOT' },
    });
    const { port } = await app.start(0);
    started.push({ name: 'bot', close: () => app.close() });

    const out: string[] = [];
    const say = (line = ''): void => {
      out.push(line);
      console.log(line);
    };
    say(`podnet demo — scenario ${values.scenario ?? 'scenarios/seed-incident.yaml'}`);
    say(`  simulator ${sim.url} · Slack stand-in ${slack.baseUrl} · bot http://127.0.0.1:${port}/slack/events · Redis prefix ${prefix} on ${describeRedis(redisSettings)}`);
    const checks = new Queue(queueName(CLUSTER, 'checks'), { connection: redis, prefix });
    started.push({ name: 'queue', close: () => checks.close() });
    const t0 = performance.now();
    let firstPostMs: number | undefined;
    const results: { text: string; jobId: string; job: Job }[] = [];
    // Each command is sent once the previous one's job has finished, as a person would.
    for (const text of texts) {
      say();
      say(`@alice in #${CHANNEL_NAME}:  /podnet ${text}`);
      const body = slashCommandBody({ text, channel: CHANNEL, channelName: CHANNEL_NAME, user: 'U0ALICE001', userName: 'alice', responseUrl: slack.responseUrl('demo') });
      const ack = await postSigned(`http://127.0.0.1:${port}/slack/events`, body, signingSecret);
      const ackText = ackBodyText(ack.json) ?? ack.body;
      say();
      say(`podnet (only visible to you) — ack HTTP ${ack.status} in ${Math.round(ack.ms)} ms:`);
      say(indent(blocksToText(undefined, ackText)));
      const jobId = /job `([^`]+)`/.exec(ackText)?.[1];
      if (ack.status !== 200 || jobId === undefined) {
        say();
        say('Nothing was queued (see the answer above).');
        return EXIT.badInput;
      }
      const deadline = Date.now() + timeoutS * 1000;
      let job: Job | undefined;
      while (Date.now() < deadline) {
        if (firstPostMs === undefined && slack.messages(CHANNEL).length > 0) firstPostMs = performance.now() - t0;
        job = await Job.fromId(checks, jobId);
        if (job?.finishedOn) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      if (!job?.finishedOn) {
        say();
        say(`No answer within ${timeoutS} s (job ${jobId} is ${job ? await job.getState() : 'missing'}).`);
        return EXIT.failure;
      }
      results.push({ text, jobId, job });
    }
    const doneMs = performance.now() - t0;

    for (const m of slack.messages(CHANNEL)) printMessage(say, m);
    for (const r of slack.responses('demo')) {
      say();
      say('podnet (only visible to you, via response_url):');
      say(indent(String(r.body.text ?? '')));
    }
    // Files podnet uploaded (a postmortem draft, a collected log): shown in full when short.
    for (const f of slack.files().filter((x) => x.completed && x.content)) {
      // The stand-in hands out copies: the content arrives as Buffer-shaped data.
      const bytes = Buffer.from(f.content as unknown as Uint8Array);
      if (isPng(bytes)) {
        // A picture cannot be printed: name it, with its size (reproduce it with --timeline-png).
        say();
        say(`podnet uploaded ${f.filename} (${bytes.length} bytes, PNG image ${bytes.readUInt32BE(16)}×${bytes.readUInt32BE(20)} px)`);
        continue;
      }
      const content = bytes.toString('utf8');
      say();
      say(`podnet uploaded ${f.filename} (${Buffer.byteLength(content)} bytes)${content.length > 6000 ? ', first 6000 characters' : ''}:`);
      say(indent(content.slice(0, 6000)));
    }
    let fixed = true;
    if (values.fix === true || !values.command?.length) {
      const press = (body: string) => postSigned(`http://127.0.0.1:${port}/slack/events`, body, signingSecret);
      fixed = await pressApplyFix(say, slack, press, Date.now() + (timeoutS + 60) * 1000);
    }
    say();
    const posts = slack.calls('chat.postMessage').filter((c) => c.ok).length;
    const updates = slack.calls('chat.update').filter((c) => c.ok).length;
    const failed = results.filter((r) => r.job.failedReason);
    say(
      `— first message in the channel after ${firstPostMs === undefined ? '?' : Math.round(firstPostMs)} ms; ` +
        `done after ${Math.round(doneMs)} ms; ${posts} messages posted, ${updates} updated in place; ` +
        `${sim.requestCount()} Kubernetes API requests; ` +
        results.map((r) => `job ${r.jobId} ${r.job.failedReason ? `failed: ${r.job.failedReason}` : 'completed'}`).join('; ') + '.',
    );
    return failed.length || !fixed ? EXIT.failure : EXIT.ok;
  } finally {
    for (const step of started.reverse()) {
      try {
        await step.close();
      } catch (err) {
        logger.warn({ step: step.name, err: (err as Error).message }, 'demo shutdown step failed');
      }
    }
  }
}

/** PNG signature (RFC 2083 §12.12 / PNG spec §5.2) and an IHDR to read the size from. */
function isPng(b: Buffer): boolean {
  return b.length > 24 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
}

function ackBodyText(json: unknown): string | undefined {
  if (json && typeof json === 'object' && 'text' in json && typeof (json as { text: unknown }).text === 'string') return (json as { text: string }).text;
  return undefined;
}

function printMessage(say: (line?: string) => void, m: StoredMessage): void {
  say();
  say(`podnet in #${CHANNEL_NAME}${m.edits > 0 ? ` (the "Checking…" message, updated in place)` : ''}:`);
  say(indent(blocksToText(m.blocks, m.text ?? '')));
  if (m.replies.length > 0) {
    say();
    say(`  └ thread, ${m.replies.length} ${m.replies.length === 1 ? 'reply' : 'replies'}:`);
    for (const [i, r] of m.replies.entries()) {
      say();
      say(`  ┌ reply ${i + 1}`);
      say(indent(blocksToText(r.blocks, r.text ?? ''), '  │ '));
    }
  }
}

/**
 * The fix loop in Slack: alice presses *Apply fix* on the first summary (its confirm dialog
 * shows the diff), the press goes to the bot signed like any other, and the worker's replies
 * in the summary's thread — the applied diff, then *Fixed — verified* or *Not fixed* — are
 * printed once the verdict is in. False when there is no button or the fix was not verified.
 */
async function pressApplyFix(say: (line?: string) => void, slack: SlackStandIn, press: (body: string) => ReturnType<typeof postSigned>, deadline: number): Promise<boolean> {
  const summary = slack.messages(CHANNEL)[0];
  type Button = { action_id?: string; value?: string; confirm?: { text: { text: string } } };
  const button = ((summary?.blocks ?? []) as { type: string; elements?: Button[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []).find((b) => b.action_id === SLACK_ACTIONS.applyFix);
  say();
  if (!summary || !button?.value) {
    say('The summary offers no Apply fix button (no validated patch for the leading cause).');
    return false;
  }
  say(`@alice in #${CHANNEL_NAME}:  presses [Apply fix] on the summary; the confirm dialog says:`);
  say(indent(blocksToText(undefined, button.confirm?.text.text ?? '')));
  say('  @alice:  [Apply]');
  const seen = summary.replies.length;
  const res = await press(blockActionBody({ actionId: SLACK_ACTIONS.applyFix, value: button.value, channel: CHANNEL, channelName: CHANNEL_NAME, user: ALICE, messageTs: summary.ts, responseUrl: slack.responseUrl('demo-fix') }));
  let answer: unknown;
  let verdict: StoredMessage | undefined;
  while (Date.now() < deadline && (verdict === undefined || answer === undefined)) {
    answer ??= slack.responses('demo-fix')[0]?.body.text;
    verdict = slack.message(CHANNEL, summary.ts)?.replies.slice(seen).find((r) => /Fixed — verified|Not fixed|Fix not applied/.test(r.text ?? ''));
    await new Promise((r) => setTimeout(r, 100));
  }
  say();
  say(`podnet (only visible to you) — HTTP ${res.status}:`);
  say(indent(String(answer ?? '(no answer)')));
  const replies = slack.message(CHANNEL, summary.ts)?.replies.slice(seen) ?? [];
  for (const r of replies) {
    say();
    say('  ┌ reply in the summary\'s thread');
    say(indent(blocksToText(r.blocks, r.text ?? ''), '  │ '));
  }
  if (!verdict) say('No verdict before the deadline.');
  return /Fixed — verified/.test(verdict?.text ?? '');
}
