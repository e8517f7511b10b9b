import { inspect } from 'node:util';
import { describeConfig, loadConfig } from '../../src/config.js';
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
