import { inspect } from 'node:util';
import { describeConfig, describeRedis, loadConfig, loadRedisSettings, queuePrefixFor } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const base = { SLACK_BOT_TOKEN: 'xoxb-123-456-secretvalue', SLACK_SIGNING_SECRET: 'shh-signing-secret' };

describe('loadConfig', () => {
  it('applies documented defaults and freezes', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({ port: 3000, redisUrl: 'redis://127.0.0.1:6379', defaultCluster: 'default', queuePrefix: 'podnet', logLevel: 'info' });
    expect(c.slack.socketMode).toBe(false);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.slack)).toBe(true);
  });
  it('says how to fix a missing signing secret', () => {
    expect(() => loadConfig({ SLACK_BOT_TOKEN: base.SLACK_BOT_TOKEN })).toThrow(
      new ConfigError(
        "SLACK_SIGNING_SECRET is required for the HTTP receiver; set it from your Slack app's Basic Information page (or set SLACK_APP_TOKEN for Socket Mode)",
      ),
    );
  });
  it('does not need a signing secret in Socket Mode or for a worker', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: base.SLACK_BOT_TOKEN, SLACK_APP_TOKEN: 'xapp-1-abc' }).slack.socketMode).toBe(true);
    expect(loadConfig({ SLACK_BOT_TOKEN: base.SLACK_BOT_TOKEN }, { role: 'worker' }).slack.signingSecret).toBeUndefined();
  });
  it('collects every problem in one message', () => {
    let message = '';
    try {
      loadConfig({ SLACK_BOT_TOKEN: 'nope', SLACK_SIGNING_SECRET: 's', PORT: 'http', REDIS_URL: 'localhost:6379', LOG_LEVEL: 'loud', SLACK_APP_TOKEN: 'xoxb-1' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^Configuration has 5 problems: /);
    expect(message).toMatch(/SLACK_BOT_TOKEN does not look like a bot token/);
    expect(message).toMatch(/PORT "http" is not a port number/);
    expect(message).toMatch(/REDIS_URL is not a redis:\/\/ or rediss:\/\/ URL/);
    expect(message).toMatch(/LOG_LEVEL "loud"/);
    expect(message).toMatch(/SLACK_APP_TOKEN must be an app-level token/);
  });
  it('normalises SLACK_API_URL to end in a slash and validates it', () => {
    expect(loadConfig({ ...base, SLACK_API_URL: 'http://127.0.0.1:9999/api' }).slack.apiUrl).toBe('http://127.0.0.1:9999/api/');
    expect(() => loadConfig({ ...base, SLACK_API_URL: 'ftp://x' })).toThrow(/SLACK_API_URL/);
  });
  it('rejects a cluster name that cannot name a queue', () => {
    expect(() => loadConfig({ ...base, PODNET_DEFAULT_CLUSTER: 'Prod_EU' })).toThrow(/PODNET_DEFAULT_CLUSTER/);
  });
  it('never shows secrets when logged, inspected or serialised', () => {
    const c = loadConfig({ ...base, REDIS_URL: 'redis://:hunter2@redis:6379' });
    for (const text of [JSON.stringify(c), inspect(c, { depth: 5 }), JSON.stringify(describeConfig(c))]) {
      expect(text).not.toContain('secretvalue');
      expect(text).not.toContain('shh-signing-secret');
      expect(text).not.toContain('hunter2');
    }
    expect(c.slack.botToken).toBe(base.SLACK_BOT_TOKEN);
  });
});

describe('Redis settings', () => {
  const load = (env: NodeJS.ProcessEnv) => {
    const problems: string[] = [];
    const settings = loadRedisSettings(env, problems);
    return { settings, problems };
  };
  it('keeps REDIS_URL for one server, rediss:// and ACL users included', () => {
    expect(load({ REDIS_URL: 'rediss://podnet:pw@redis.example:6380/2' }).settings).toEqual({ mode: 'standalone', url: 'rediss://podnet:pw@redis.example:6380/2' });
    expect(load({}).settings).toEqual({ mode: 'standalone', url: 'redis://127.0.0.1:6379' });
  });
  it('reads Sentinel: sentinels, master name, passwords, TLS, db', () => {
    const { settings, problems } = load({
      PODNET_REDIS_SENTINELS: 'sentinel-0.redis:26379, 10.0.0.7:26380,[fd00::1]:26379',
      PODNET_REDIS_SENTINEL_NAME: 'mymaster',
      PODNET_REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
      PODNET_REDIS_USERNAME: 'podnet',
      PODNET_REDIS_PASSWORD: 'data-secret',
      PODNET_REDIS_TLS: 'true',
      PODNET_REDIS_DB: '3',
    });
    expect(problems).toEqual([]);
    expect({ ...settings }).toEqual({
      mode: 'sentinel',
      sentinels: [{ host: 'sentinel-0.redis', port: 26379 }, { host: '10.0.0.7', port: 26380 }, { host: 'fd00::1', port: 26379 }],
      name: 'mymaster',
      sentinelPassword: 'sentinel-secret',
      username: 'podnet',
      password: 'data-secret',
      tls: true,
      sentinelTls: true,
      db: 3,
    });
    // Logged or inspected, the settings show no password.
    expect(JSON.stringify(settings)).not.toMatch(/secret/);
    expect(inspect(settings)).not.toMatch(/secret/);
    expect(describeRedis(settings)).toBe('sentinel mymaster via sentinel-0.redis:26379,10.0.0.7:26380,[fd00::1]:26379 (TLS)');
  });
  it('reads Cluster nodes and hash-tags the queue prefix there only', () => {
    const { settings, problems } = load({ PODNET_REDIS_CLUSTER_NODES: 'redis-0:6379,redis-1:6379' });
    expect(problems).toEqual([]);
    expect(settings).toMatchObject({ mode: 'cluster', nodes: [{ host: 'redis-0', port: 6379 }, { host: 'redis-1', port: 6379 }], tls: false });
    expect(queuePrefixFor('podnet', settings)).toBe('{podnet}');
    expect(queuePrefixFor('{podnet}', settings)).toBe('{podnet}');
    expect(queuePrefixFor('podnet', load({}).settings)).toBe('podnet');
    const c = loadConfig({ ...base, PODNET_REDIS_CLUSTER_NODES: 'redis-0:6379', PODNET_QUEUE_PREFIX: 'oncall' });
    expect(c.queuePrefix).toBe('{oncall}');
    expect(c.redis.mode).toBe('cluster');
  });
  it('says what is wrong: both topologies, a missing name, malformed host:port, stray settings', () => {
    expect(load({ PODNET_REDIS_SENTINELS: 'a:26379', PODNET_REDIS_SENTINEL_NAME: 'm', PODNET_REDIS_CLUSTER_NODES: 'b:6379' }).problems).toEqual([
      'PODNET_REDIS_SENTINELS and PODNET_REDIS_CLUSTER_NODES are both set; podnet uses either a Sentinel-managed Redis or a Redis Cluster: unset one',
    ]);
    expect(load({ PODNET_REDIS_SENTINELS: 'a:26379' }).problems[0]).toMatch(/^PODNET_REDIS_SENTINEL_NAME is required with PODNET_REDIS_SENTINELS; set it to the master group name/);
    const bad = load({ PODNET_REDIS_CLUSTER_NODES: 'redis-0,redis-1:99999,redis-2:6379' }).problems;
    expect(bad).toEqual([
      expect.stringContaining('PODNET_REDIS_CLUSTER_NODES: "redis-0" is not host:port'),
      expect.stringContaining('PODNET_REDIS_CLUSTER_NODES: "redis-1:99999" is not host:port'),
    ]);
    expect(load({ PODNET_REDIS_PASSWORD: 'x' }).problems[0]).toMatch(/^PODNET_REDIS_PASSWORD is set but neither PODNET_REDIS_SENTINELS nor PODNET_REDIS_CLUSTER_NODES is; for one server put user, password, TLS \(rediss:\/\/\) and db in REDIS_URL/);
    expect(load({ REDIS_URL: 'redis://x:6379', PODNET_REDIS_CLUSTER_NODES: 'b:6379' }).problems[0]).toMatch(/^REDIS_URL is set as well as PODNET_REDIS_CLUSTER_NODES/);
    expect(load({ PODNET_REDIS_CLUSTER_NODES: 'b:6379', PODNET_REDIS_SENTINEL_NAME: 'm' }).problems[0]).toMatch(/^PODNET_REDIS_SENTINEL_NAME applies to Sentinel only/);
    expect(load({ PODNET_REDIS_CLUSTER_NODES: 'b:6379', PODNET_REDIS_TLS: 'maybe' }).problems[0]).toBe('PODNET_REDIS_TLS "maybe" is not a boolean; use true or false');
    expect(() => loadConfig({ ...base, PODNET_REDIS_SENTINELS: 'a:1', PODNET_REDIS_CLUSTER_NODES: 'b:2' })).toThrow(/both set/);
  });
});
