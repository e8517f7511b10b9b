/**
 * `podnet incident export`: prints the postmortem draft / JSON record of an incident stored
 * in real Redis; clear one-line errors for a missing id, an unknown id, a bad --output and an
 * unreachable Redis.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Redis } from 'ioredis';
import { main } from '../../src/bin/incident.js';
import { IncidentStore } from '../../src/incidents/store.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `podnet-export-${randomUUID().slice(0, 8)}`;
let redis: Redis;
let id: string;

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t), env: {}, now: () => new Date('2025-07-06T16:00:00Z') });
  return { code, out, err };
}

beforeAll(async () => {
  redis = new Redis(url);
  const store = new IncidentStore({ redis, prefix });
  const inc = await store.open({ title: 'agent cannot reach mlserver', channel: 'C1', threadTs: '1.1', openedBy: 'U1', at: new Date('2025-07-06T15:00:00Z') });
  id = inc.id;
  await store.append(id, { at: '2025-07-06T15:05:00.000Z', kind: 'command', who: 'U1', text: '/podnet check mlserver-0 -n financial-ml' });
  await store.append(id, {
    at: '2025-07-06T15:05:04.000Z', kind: 'finding', who: 'podnet', text: 'check of financial-ml/mlserver-0: probe-bind-mismatch', cause: 'probe-bind-mismatch', confidence: 0.88,
    fix: 'unset MLSERVER_HOST', evidence: ['/proc/net/tcp: LISTEN tcp 127.0.0.1:9000', 'pod spec: mlserver env MLSERVER_HOST=127.0.0.1', 'events: Liveness probe failed'],
  });
  await store.close(id, 'U1', new Date('2025-07-06T15:40:00Z'));
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

describe('podnet incident export', () => {
  test('markdown: the postmortem draft with every timeline entry, the cause and its evidence', async () => {
    const r = await run(['export', id, '--redis', url, '--prefix', prefix]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain('# Postmortem draft: agent cannot reach mlserver');
    expect(r.out).toMatch(/## Root cause\s+`probe-bind-mismatch` \(88%\)/);
    expect(r.out).toContain('- /proc/net/tcp: LISTEN tcp 127.0.0.1:9000');
    for (const at of ['2025-07-06T15:00:00.000Z', '2025-07-06T15:05:00.000Z', '2025-07-06T15:05:04.000Z', '2025-07-06T15:40:00.000Z']) expect(r.out).toContain(at);
  });

  test('json: the record, the whole timeline and the summary', async () => {
    const r = await run(['export', id, '--redis', url, '--prefix', prefix, '--output', 'json']);
    expect(r.code).toBe(0);
    const data = JSON.parse(r.out) as { incident: { id: string; status: string }; timeline: unknown[]; summary: { leading: { cause: string } } };
    expect(data.incident).toMatchObject({ id, status: 'closed' });
    expect(data.timeline).toHaveLength(4);
    expect(data.summary.leading.cause).toBe('probe-bind-mismatch');
  });

  test('PODNET_QUEUE_PREFIX and REDIS_URL come from the environment', async () => {
    let out = '';
    expect(await main(['export', id], { out: (t) => (out += t), err: () => undefined, env: { REDIS_URL: url, PODNET_QUEUE_PREFIX: prefix } })).toBe(0);
    expect(out).toContain('Postmortem draft');
  });

  test('a missing id, an unknown id and a bad --output say what is wrong', async () => {
    const missing = await run(['export', '--redis', url]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/missing the incident ID/);
    const unknown = await run(['export', 'inc-20990101-000000', '--redis', url, '--prefix', prefix]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/no incident "inc-20990101-000000"/);
    expect(unknown.err.split('\n').filter(Boolean)).toHaveLength(1);
    const bad = await run(['export', id, '--output', 'yaml']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--output must be markdown or json/);
    const action = await run(['list']);
    expect(action.code).toBe(2);
    expect(action.err).toMatch(/unknown action "list"/);
  });

  test('an unreachable Redis: exit 3 and how to fix it, no stack trace', async () => {
    const r = await run(['export', id, '--redis', 'redis://127.0.0.1:1']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/No Redis answers at redis:\/\/127\.0\.0\.1:1/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
