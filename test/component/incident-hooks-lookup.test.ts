/**
 * The incident hooks' open-incident lookup sits on every slash command's ack path. Commands
 * arriving in one channel while a lookup is in flight share it (one GET for a burst); a later
 * command reads again, so an incident opened in between is seen.
 */
import { jest } from '@jest/globals';
import { Redis } from 'ioredis';
import type { ParsedCommand } from '../../src/commands/grammar.js';
import { createIncidentHooks } from '../../src/incidents/slack-hooks.js';

const prefix = `podnet-test-hooks-lookup-${process.pid}-${Date.now()}`;
let redis: Redis;

beforeAll(() => {
  redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

const check = (pod: string): ParsedCommand => ({ verb: 'check', pod, namespace: 'financial-ml' });

test('a burst in one channel shares one lookup; each command still gets its routing', async () => {
  const hooks = createIncidentHooks({ redis, prefix });
  const inc = await hooks.store.open({ title: 'MLServer unreachable', channel: 'C1', threadTs: '1751815200.000100', openedBy: 'U1', at: new Date() });
  const lookups = jest.spyOn(hooks.store, 'openIn');
  const seen: (string | undefined)[] = [];
  const enqueue = hooks.wrapEnqueue(async (_cmd, ctx: { channel: string; user: string; source: string; threadTs?: string }) => {
    seen.push(ctx.threadTs);
    return { jobId: `job-${seen.length}` };
  });
  await Promise.all(Array.from({ length: 20 }, (_, i) => enqueue(check(`p-${i}`), { channel: 'C1', user: 'U2', source: 'slash' })));
  await Promise.all(Array.from({ length: 5 }, (_, i) => enqueue(check(`q-${i}`), { channel: 'C2', user: 'U2', source: 'slash' })));
  // One lookup per channel, not one per command.
  expect(lookups.mock.calls.map((c) => c[0])).toEqual(['C1', 'C2']);
  // Every command in C1 answers in the incident's thread and is on its timeline; C2's do not.
  expect(seen.slice(0, 20)).toEqual(Array.from({ length: 20 }, () => inc.threadTs));
  expect(seen.slice(20)).toEqual(Array.from({ length: 5 }, () => undefined));
  expect((await hooks.store.timeline(inc.id)).filter((e) => e.kind === 'command')).toHaveLength(20);
  await hooks.close();
});

test('nothing is cached once the reply is in: an incident opened after a lookup is seen by the next command', async () => {
  const hooks = createIncidentHooks({ redis, prefix });
  const threads: (string | undefined)[] = [];
  const enqueue = hooks.wrapEnqueue(async (_cmd, ctx: { channel: string; user: string; source: string; threadTs?: string }) => {
    threads.push(ctx.threadTs);
    return { jobId: 'j' };
  });
  await enqueue(check('a'), { channel: 'C3', user: 'U1', source: 'slash' });
  const inc = await hooks.store.open({ title: 'later', channel: 'C3', threadTs: '1751815300.000200', openedBy: 'U1', at: new Date() });
  await enqueue(check('b'), { channel: 'C3', user: 'U1', source: 'slash' });
  expect(threads).toEqual([undefined, inc.threadTs]);
  // A failed lookup is not shared with later commands either.
  const failing = jest.spyOn(hooks.store, 'openIn').mockRejectedValueOnce(new Error('redis down'));
  await expect(enqueue(check('c'), { channel: 'C4', user: 'U1', source: 'slash' })).rejects.toThrow('redis down');
  failing.mockRestore();
  await expect(enqueue(check('d'), { channel: 'C4', user: 'U1', source: 'slash' })).resolves.toEqual({ jobId: 'j' });
  await hooks.close();
});
