/** Ops settings in the configuration: the ops port and the queue dashboard's login. */
import { describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { ConfigError } from '../../src/errors.js';
import { describeConfig, loadConfig } from '../../src/config.js';

const BASE = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'shh-signing' };

function problem(env: Record<string, string>, role: 'bot' | 'worker' = 'bot'): string {
  try {
    loadConfig(env, { role });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('ops port', () => {
  it('defaults to 9464; PODNET_OPS_PORT wins over OPS_PORT; 0 turns it off', () => {
    expect(loadConfig(BASE).opsPort).toBe(9464);
    expect(loadConfig({ ...BASE, OPS_PORT: '9100' }).opsPort).toBe(9100);
    expect(loadConfig({ ...BASE, OPS_PORT: '9100', PODNET_OPS_PORT: '9200' }).opsPort).toBe(9200);
    expect(loadConfig({ ...BASE, PODNET_OPS_PORT: '0' }).opsPort).toBe(0);
  });
  it('refuses a non-port, naming the variable', () => {
    expect(problem({ ...BASE, PODNET_OPS_PORT: 'ops' })).toMatch(/^PODNET_OPS_PORT "ops" is not a port number/);
    expect(problem({ ...BASE, OPS_PORT: '70000' })).toMatch(/^OPS_PORT "70000" is not a port number/);
  });
});

describe('queue dashboard', () => {
  it('is off unless both are set', () => {
    expect(loadConfig(BASE).board).toBeUndefined();
    const config = loadConfig({ ...BASE, PODNET_BOARD_USER: 'ops', PODNET_BOARD_PASSWORD: 'board-pw-123' });
    expect(config.board).toEqual({ user: 'ops', password: 'board-pw-123' });
  });
  it('refuses to start with only one of the two, saying which is missing', () => {
    expect(problem({ ...BASE, PODNET_BOARD_USER: 'ops' })).toBe(
      'PODNET_BOARD_USER is set but PODNET_BOARD_PASSWORD is not; the queue dashboard needs both (HTTP basic auth), or unset both to keep it off',
    );
    expect(problem({ ...BASE, PODNET_BOARD_PASSWORD: 'x' })).toMatch(/^PODNET_BOARD_PASSWORD is set but PODNET_BOARD_USER is not/);
  });
  it('the worker ignores the dashboard settings (it serves no dashboard)', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', PODNET_BOARD_USER: 'ops' }, { role: 'worker' }).board).toBeUndefined();
  });
  it('never shows the password in logs, JSON or inspect output', () => {
    const config = loadConfig({ ...BASE, PODNET_BOARD_USER: 'ops', PODNET_BOARD_PASSWORD: 'board-pw-123' });
    for (const shown of [JSON.stringify(config), JSON.stringify(describeConfig(config)), inspect(config), inspect(config.board), JSON.stringify({ board: config.board })]) {
      expect(shown).not.toContain('board-pw-123');
      expect(shown).not.toContain('shh-signing');
    }
    expect(describeConfig(config).board).toEqual({ user: 'ops', password: '[set]' });
  });
});
