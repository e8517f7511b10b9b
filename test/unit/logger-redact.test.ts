/** pino redaction: secret-bearing fields never reach the log, at the top level or nested. */
import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger.js';

function capture(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('createLogger redaction', () => {
  it('masks tokens, secrets, passwords and auth headers at the top level and one level down', () => {
    const out = capture();
    const log = createLogger({ level: 'trace', destination: out.stream });
    log.info({ token: 'xoxb-TOP', botToken: 'xoxb-BOT', appToken: 'xapp-APP', signingSecret: 'SIGN', password: 'PW', secret: 'SEC', authorization: 'Basic AUTH' }, 'top');
    log.debug({ slack: { token: 'xoxb-NESTED', signingSecret: 'SIGN2' }, board: { password: 'PW2' }, headers: { authorization: 'Bearer HDR', 'x-slack-signature': 'v0=SIG' } }, 'nested');
    log.warn({ config: { slack: { botToken: 'xoxb-CFG', signingSecret: 'SIGN3' } } }, 'config');
    const text = out.text();
    for (const secret of ['xoxb-TOP', 'xoxb-BOT', 'xapp-APP', 'SIGN', 'PW', 'SEC', 'AUTH', 'xoxb-NESTED', 'HDR', 'v0=SIG', 'xoxb-CFG']) {
      expect(text).not.toContain(secret);
    }
    expect(text.match(/\[redacted\]/g)?.length).toBe(14);
    // Every line is one JSON record.
    for (const line of text.trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });
});
