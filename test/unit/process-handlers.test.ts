/**
 * installProcessHandlers: an unhandled rejection is one JSON log line and the process goes
 * on; an uncaught exception is one JSON line and exit 1.
 */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { expect, test } from '@jest/globals';
import { createLogger } from '../../src/logger.js';
import { installProcessHandlers } from '../../src/ops/process-handlers.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

test('unhandledRejection: one JSON line, no exit; uncaughtException: one JSON line, exit 1', () => {
  const { lines, logger } = capture();
  const exits: number[] = [];
  const proc = Object.assign(new EventEmitter(), { exit: (code?: number) => void exits.push(code ?? 0) });
  const remove = installProcessHandlers(logger, proc);
  proc.emit('unhandledRejection', new Error('stray notice failed\n    at somewhere'), Promise.resolve());
  expect(exits).toEqual([]);
  proc.emit('uncaughtException', new TypeError('boom'));
  expect(exits).toEqual([1]);
  expect(lines).toHaveLength(2);
  const [a, b] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(a).toMatchObject({ level: 50, event: 'unhandledRejection', err: 'stray notice failed' });
  expect(b).toMatchObject({ level: 60, event: 'uncaughtException', err: 'boom', type: 'TypeError' });
  remove();
  expect(proc.listenerCount('unhandledRejection')).toBe(0);
});
