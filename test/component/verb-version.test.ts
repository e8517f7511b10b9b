/**
 * `/podnet version` through the real Bolt app over signed HTTP: the bot's version and each
 * live worker's, read from real heartbeats in Redis; a worker on another version is marked,
 * a signed-off one is gone; a channel outside the policy is refused. Also the pure text.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { memoryAuditLog } from '../../src/authz/audit.js';
import { parsePolicyYaml } from '../../src/authz/policy.js';
import { parseCommand } from '../../src/commands/grammar.js';
import { versionText } from '../../src/commands/verbs/version.js';
import { loadConfig } from '../../src/config.js';
import { listClusters, podnetVersion, startHeartbeat, type Heartbeat } from '../../src/queue/heartbeat.js';
import { createSlackApp, type SlackApp } from '../../src/slack/app.js';
import { startSlackStandIn, type SlackStandIn } from '../../src/slack/stand-in.js';
import { postSigned, slashCommandBody } from '../../src/slack/testing.js';
import { testPrefix } from '../helpers/queue-fakes.js';

const SECRET = 'test-signing-secret';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const POLICY = parsePolicyYaml(`
default: deny
channels:
  - id: C0OPS00001
    namespaces: ["*"]
`);

describe('/podnet version', () => {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const space = testPrefix();
  const prefix = space.prefix;
  const audit = memoryAuditLog();
  let standIn: SlackStandIn;
  let slack: SlackApp;
  let url: string;
  const beats: Heartbeat[] = [];

  beforeAll(async () => {
    standIn = await startSlackStandIn();
    const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-test-app', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: standIn.url });
    slack = createSlackApp({
      config,
      policy: POLICY,
      audit,
      enqueue: async () => {
        throw new Error('version must not be queued');
      },
      version: podnetVersion(),
      clusters: () => listClusters(redis, prefix),
    });
    url = `http://127.0.0.1:${(await slack.start(0)).port}`;
    beats.push(await startHeartbeat({ redis, prefix, cluster: 'east', workerId: 'east-1', intervalMs: 60_000 }));
    beats.push(await startHeartbeat({ redis, prefix, cluster: 'west', workerId: 'west-1', version: '0.0.1-old', intervalMs: 60_000 }));
    beats.push(await startHeartbeat({ redis, prefix, cluster: 'west', workerId: 'west-2', intervalMs: 60_000 }));
  });
  afterAll(async () => {
    for (const b of beats) await b.stop().catch(() => undefined);
    await slack.stop();
    await standIn.close();
    await space.cleanup(redis);
    await redis.quit();
  });

  const slash = async (text: string, channel = 'C0OPS00001'): Promise<string> => {
    const res = await postSigned(`${url}/slack/commands`, slashCommandBody({ text, channel, responseUrl: standIn.responseUrl('cmd') }), SECRET);
    expect(res.status).toBe(200);
    return (res.json as { text: string }).text;
  };

  it("answers with the bot's version and every live worker's, marking the one that differs", async () => {
    const text = await slash('version');
    const lines = text.split('\n');
    expect(lines[0]).toBe(`*podnet* ${podnetVersion()} (this bot)`);
    expect(lines.filter((l) => l.startsWith('• '))).toHaveLength(3);
    expect(text).toMatch(new RegExp(`• \\*east\\* \\S+: ${podnetVersion().replace(/\./g, '\\.')}$`, 'm'));
    expect(text).toMatch(/• \*west\* \S+: 0\.0\.1-old — differs from the bot$/m);
    expect(audit.records.at(-1)).toMatchObject({ verb: 'version', outcome: 'done' });
  });

  it('drops a worker that signed off', async () => {
    await beats[1]!.stop();
    const text = await slash('version');
    expect(text).not.toContain('0.0.1-old');
    expect(text.split('\n').filter((l) => l.startsWith('• '))).toHaveLength(2);
  });

  it('refuses a channel outside the policy, and is listed in help', async () => {
    expect(await slash('version', 'C0ELSEWHERE')).toMatch(/^:no_entry: /);
    expect(await slash('help')).toContain('version');
    expect(await slash('version now')).toMatch(/Unexpected "now" after version/);
  });

  it('reads and formats like any verb; says so when there are no heartbeats or no live worker', () => {
    expect(parseCommand('version')).toEqual({ verb: 'version' });
    expect(versionText('1.2.3', undefined)).toBe('*podnet* 1.2.3 (this bot)\nWorker versions are not available in this deployment (no heartbeats).');
    expect(versionText('1.2.3', [{ cluster: 'a', live: false, workers: [], lastSeenAgoMs: 1 }])).toContain('No live worker');
    expect(versionText('1.2.3', [{ cluster: 'a', live: true, workers: [{ workerId: 'w', hostname: '<!here>', version: '1.2.3' }], lastSeenAgoMs: 1 }])).toContain('&lt;!here&gt;');
  });
});
