/**
 * `check` benchmark: one full check of the seed incident against the simulator, in-process —
 * collectEvidence (real client-node over HTTP/WebSocket) + diagnose + renderText — N times.
 * Each check gets its own cluster client, as each CLI run does, with the CLI's in-process
 * budget (the default 50 qps, burst 100; src/cluster/rate-limit.ts): a check's 12 requests fit
 * in the burst, and the budget does not carry over between checks.
 *
 * Then the same check through Slack: a signed `/podnet check` to the bot (createBot, as
 * `podnet bot` runs it) → Redis → a worker in this process (its own client with the default
 * in-process budget, 50/100) → the simulator → the Slack stand-in; the figure is the time from
 * sending the command to the channel message carrying the summary (the first findings posted),
 * each check started on an idle worker (see IDLE_MS). bench/budget.bench.ts measures checks in
 * a row, bursts, and `podnet worker` processes sharing one cluster's budget.
 */
import { join } from 'node:path';
import { diagnose } from '../src/analysis/diagnose.js';
import { createClusterAccess } from '../src/cluster/client.js';
import { collectEvidence } from '../src/probes/collect.js';
import { renderText } from '../src/render/text.js';
import { loadScenario } from '../src/sim/scenario.js';
import { startSimulator } from '../src/sim/server.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { memoryAuditLog } from '../src/authz/audit.js';
import { parsePolicy } from '../src/authz/policy.js';
import { silentLogger } from '../src/logger.js';
import { removePrefix } from '../src/queue/cleanup.js';
import { defaultDeps } from '../src/queue/default-deps.js';
import { startWorkers } from '../src/compose/workers.js';
import { createBot } from '../src/compose/bot.js';
import { SlackPoster } from '../src/slack/poster.js';
import { startSlackStandIn } from '../src/slack/stand-in.js';
import { postSigned, slashCommandBody } from '../src/slack/testing.js';
import { check, info, percentile, type Bench, type Figure } from './harness.js';

const N = 30;
/** Checks through Slack, one at a time. */
const SLACK_N = 10;
/**
 * Idle time before each Slack-path check, so each is "one check" on an idle worker: it gives
 * the previous check's thread replies and timeline chart, which follow its summary, time to
 * be posted. The budget needs no such pause: at 50 qps a check's 19 requests (queued path)
 * refill in 0.4 s. Under client-go's 5 qps / burst 10, each worker's old limit, checks in a
 * row were paced at 19 / 5 ≈ 3.8 s each (~2.6 s when a check made 13); bench/budget.bench.ts
 * measures both.
 */
const IDLE_MS = 2500;
const REQUEST = { namespace: 'financial-ml', pod: 'mlserver-0' };

export const bench: Bench = {
  name: 'check',
  description: `podnet check of the seed incident against the simulator, ${N} runs (collect + diagnose + render)`,
  async run(log) {
    const file = join(process.cwd(), 'scenarios', 'seed-incident.yaml');
    const scenario = loadScenario(file);
    const now = new Date(scenario.now);
    const sim = await startSimulator({ scenario, port: 0 });
    try {
      const kubeConfigYaml = sim.kubeconfigYaml();
      const once = async () => {
        const cluster = createClusterAccess({ kubeConfigYaml });
        const started = performance.now();
        const evidence = await collectEvidence(cluster, REQUEST, { now: () => now });
        const d = diagnose(evidence, { now });
        const text = renderText(d);
        const ms = performance.now() - started;
        return { ms, requests: cluster.requestCount(), cause: d.hypotheses[0]?.cause, failed: evidence.steps.filter((s) => !s.ok).length, chars: text.length };
      };
      const warm = await once(); // JIT and module warm-up; not counted
      log(`warm-up: ${warm.ms.toFixed(0)} ms, ${warm.requests} requests, top cause ${warm.cause}`);
      const latencies: number[] = [];
      let maxRequests = 0;
      let wrong = 0;
      let failedSteps = 0;
      for (let i = 0; i < N; i++) {
        const r = await once();
        latencies.push(r.ms);
        maxRequests = Math.max(maxRequests, r.requests);
        if (r.cause !== 'probe-bind-mismatch') wrong++;
        failedSteps += r.failed;
      }
      latencies.sort((a, b) => a - b);
      log(`${N} checks: min ${latencies[0]!.toFixed(0)} ms, max ${latencies.at(-1)!.toFixed(0)} ms; simulator served ${sim.requestCount()} requests in all`);
      const slack = await throughSlack(file, log);
      return [
        ...slack,
        check('check latency p50 (in-process, CLI path)', percentile(latencies, 50), 'ms', '<', 2000),
        info('check latency p95', percentile(latencies, 95), 'ms'),
        check('API requests per check (max)', maxRequests, 'requests', '<=', 12),
        check('checks with a top cause other than probe-bind-mismatch', wrong, 'checks', '<=', 0),
        info('failed steps across all checks', failedSteps, 'steps'),
      ];
    } finally {
      await sim.close();
    }
  },
};

/** p50/p95 from a signed slash command to the summary in the channel, through the whole stack. */
async function throughSlack(scenarioFile: string, log: (line: string) => void): Promise<Figure[]> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null, lazyConnect: true });
  try {
    await redis.connect();
  } catch {
    log('no Redis: the Slack-path figure is skipped (start redis-server and run again)');
    return [];
  }
  const prefix = `podnet-bench-check-${randomUUID().slice(0, 8)}`;
  const cluster = 'bench-check';
  const sim = await startSimulator({ scenario: scenarioFile, port: 0 });
  const slack = await startSlackStandIn();
  const poster = new SlackPoster({ token: 'xoxb-bench', slackApiUrl: slack.url, redis, keyPrefix: `${prefix}:posted:` });
  const workers = await startWorkers({ connection: redis, cluster, clusterAccess: createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml() }), poster, logger: silentLogger, deps: defaultDeps(), prefix });
  const signingSecret = randomBytes(32).toString('hex');
  const bot = createBot({
    config: { slack: { botToken: 'xoxb-bench', signingSecret, apiUrl: slack.url, socketMode: false }, defaultCluster: cluster, queuePrefix: prefix },
    redis,
    policy: parsePolicy({ default: 'deny', channels: Array.from({ length: SLACK_N }, (_, i) => ({ id: `C0BENCH${String(i).padStart(3, '0')}`, namespaces: ['financial-ml'] })) }),
    audit: memoryAuditLog(),
    app: { botId: 'B0PODNET', botUserId: 'U0PODNETBOT' },
  });
  const { port } = await bot.start(0);
  const times: number[] = [];
  try {
    for (let i = 0; i < SLACK_N; i++) {
      // A channel per run: identical checks in one channel within 10 s would coalesce.
      const channel = `C0BENCH${String(i).padStart(3, '0')}`;
      await new Promise((r) => setTimeout(r, IDLE_MS));
      const started = performance.now();
      const ack = await postSigned(`http://127.0.0.1:${port}/slack/events`, slashCommandBody({ text: 'check mlserver-0 -n financial-ml', channel, responseUrl: slack.responseUrl(channel) }), signingSecret);
      if (ack.status !== 200) throw new Error(`ack HTTP ${ack.status}`);
      for (;;) {
        const [m] = slack.messages(channel);
        if (m && m.edits > 0 && JSON.stringify(m.blocks ?? []).includes('probe-bind-mismatch')) break;
        if (performance.now() - started > 30_000) throw new Error(`no summary in ${channel} after 30 s`);
        await new Promise((r) => setTimeout(r, 5));
      }
      times.push(performance.now() - started);
    }
  } finally {
    await bot.close();
    await workers.close();
    await removePrefix(redis, prefix, [cluster]);
    await redis.quit();
    await slack.close();
    await sim.close();
  }
  times.sort((a, b) => a - b);
  log(`${SLACK_N} checks through Slack, each on an idle worker: min ${times[0]!.toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms (command sent → summary in the channel)`);
  return [
    check('first findings posted p50 (slash command → summary)', percentile(times, 50), 'ms', '<', 2000),
    info('first findings posted p95', percentile(times, 95), 'ms'),
  ];
}
