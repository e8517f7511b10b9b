import { Writable } from 'node:stream';
import { pino } from 'pino';
import { boltLogger } from '../../src/slack/app.js';

/** Bolt logs each request body at debug (App.processEvent: `logger.debug(JSON.stringify(body))`). */
test('the Bolt logger masks the verification token and response_url of logged request bodies', () => {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const log = boltLogger(pino({ level: 'debug' }, out));
  const body = {
    token: 'gIkuvaNzQIHg97ATvDxqgjtO',
    command: '/podnet',
    text: 'check mlserver-0 -n financial-ml',
    response_url: 'https://hooks.slack.com/commands/T0001/1234567890/AbCdEfGhIjKlMnOp',
  };
  log.debug(JSON.stringify(body));
  log.warn('posting to', body.response_url);
  const all = lines.join('');
  expect(all).toContain('check mlserver-0 -n financial-ml');
  expect(all).not.toContain('gIkuvaNzQIHg97ATvDxqgjtO');
  expect(all).not.toContain('AbCdEfGhIjKlMnOp');
  expect(all).toContain('hooks.slack.com/[redacted]');
});
