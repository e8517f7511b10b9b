/**
 * Issue 11 finding 4: a `logs` job over its time budget is cancelled cleanly (the log stream
 * is closed, the job is not retried) and the user is told what happened and what to ask for.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import type { V1Pod } from '@kubernetes/client-node';
import { createLogsProcessor } from '../../jobs/logs.js';
import type { ClusterAccess } from '../../src/cluster/types.js';
import type { LogsPayload, LogsResult } from '../../src/queue/contracts.js';
import type { ProcessorDeps } from '../../src/queue/processor-deps.js';
import { silentLogger } from '../../src/logger.js';
import { fakePoster } from '../helpers/queue-fakes.js';

function job(data: Partial<LogsPayload> = {}): Job<LogsPayload, LogsResult> {
  const payload: LogsPayload = {
    requestId: 'r1',
    cluster: 'default',
    namespace: 'financial-ml',
    pod: 'mlserver-0',
    slack: { channel: 'C1', user: 'U1' },
    requestedAt: '2025-07-06T15:17:50Z',
    ...data,
  } as LogsPayload;
  return { id: 'j1', data: payload, opts: { attempts: 3 }, attemptsMade: 0 } as unknown as Job<LogsPayload, LogsResult>;
}

function deps(stream: () => AsyncIterable<Buffer>, poster = fakePoster()) {
  const pod = { metadata: { name: 'mlserver-0' }, spec: { containers: [{ name: 'mlserver' }] } } as V1Pod;
  const clusterAccess = { getPod: async () => pod, streamLog: async () => stream() } as unknown as ClusterAccess;
  return { poster, d: { clusterAccess, poster, logger: silentLogger } as unknown as ProcessorDeps };
}

test('a read past its budget is cancelled, not retried, and the user is told', async () => {
  let closed = false;
  let served = 0;
  const stream = async function* (): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        served++;
        yield Buffer.from('2025-07-06T15:17:51Z some line\n'.repeat(100));
      }
    } finally {
      closed = true;
    }
  };
  const { poster, d } = deps(stream);
  let clock = 0;
  const run = createLogsProcessor(d, { budgetMs: 10_000, now: () => (clock += 1_000) });
  await expect(run(job({ grep: 'refused' }))).rejects.toBeInstanceOf(UnrecoverableError);
  expect(closed).toBe(true);
  expect(served).toBeLessThan(20);
  expect(poster.posts).toHaveLength(1);
  expect(poster.posts[0]!.text).toMatch(/Could not read the logs of mlserver-0 in financial-ml: reading the log took longer than its time budget; it was cancelled \(budget 10 s\)\. Ask for less: --since 10m/);
});

test('a read within its budget answers', async () => {
  const stream = async function* (): AsyncGenerator<Buffer> {
    yield Buffer.from('2025-07-06T15:17:51Z dial tcp 127.0.0.1:9500: connect: connection refused\n');
  };
  const { poster, d } = deps(stream);
  const res = await createLogsProcessor(d, { budgetMs: 10_000, now: () => 0 })(job({ grep: '(.*)*refused' }));
  expect(res.logs[0]!.lines).toBe(1);
  expect(poster.posts.map((p) => p.text).join('\n')).toContain('1 line matching');
});

test('a pattern RE2 cannot take is refused with what to use instead', async () => {
  const { poster, d } = deps(async function* () {});
  await expect(createLogsProcessor(d)(job({ grep: '(?<=connection )refused' }))).rejects.toBeInstanceOf(UnrecoverableError);
  expect(poster.posts[0]!.text).toMatch(/--grep "\(\?&lt;=connection \)refused" is not a valid regular expression .*RE2 syntax.*look-behind/);
});
