/**
 * End to end: `/podnet logs …` through real Bolt → Redis → the logs job → client-node streaming
 * the simulator's container log → the Slack stand-in. The channel gets the summary (known
 * signatures, --grep hits, the last lines); its thread gets the whole bounded log as a file,
 * secrets redacted, with an excerpt of the matched lines as the file's comment.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { checkBlocks } from '../../src/render/block-limits.js';
import type { StoredMessage } from '../../src/slack/stand-in.js';
import { loadScenario } from '../../src/sim/scenario.js';
import { startE2EStack, waitFor, type E2EStack } from '../helpers/e2e-stack.js';

const CHANNEL = 'C0LOGS001';
const SECRET = 's3cr3t-Pa55w0rd-9f8e';
const TOKEN = 'xoxb-123456789012-abcdefABCDEF';
let stack: E2EStack;

beforeAll(async () => {
  const seed = loadScenario('scenarios/seed-incident.yaml');
  stack = await startE2EStack({
    scenario: {
      ...seed,
      // Due at once: two lines with secrets appended to the agent's log.
      timeline: [
        {
          at: '0s',
          pod: 'financial-ml/mlserver-0',
          log: { container: 'agent', lines: [`level=info msg="connecting to scheduler" db_password=${SECRET}`, `level=debug msg="slack notifier ready" token=${TOKEN}`] },
        },
      ],
    },
    channels: [{ id: CHANNEL, namespaces: ['financial-ml'] }],
  });
}, 30_000);
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => stack.slack.reset());

const all = (m: StoredMessage): string => JSON.stringify([m.text, m.blocks]);

async function run(command: string): Promise<{ message: StoredMessage; reply: StoredMessage; file: string }> {
  const ack = await stack.slash(command, CHANNEL);
  const jobId = /job `([^`]+)`/.exec((ack.json as { text: string }).text)?.[1] ?? '';
  const job = await stack.finished(jobId);
  expect(job.failedReason).toBeUndefined();
  const message = await waitFor(() => stack.slack.messages(CHANNEL)[0], 10_000, 'the logs message');
  const reply = await waitFor(() => message.replies[0] ?? stack.slack.messages(CHANNEL)[0]?.replies[0], 10_000, 'the file in the thread');
  expect(reply.files).toHaveLength(1);
  const stored = stack.slack.files().find((f) => f.id === reply.files![0]!.id)!;
  expect(stored.completed).toBe(true);
  // files() hands out a JSON copy: the content Buffer comes back as { type: 'Buffer', data }.
  const content = stored.content as unknown as Buffer | { data: number[] };
  return { message: stack.slack.messages(CHANNEL)[0]!, reply, file: Buffer.from('data' in content ? content.data : content).toString('utf8') };
}

describe('logs through Slack, Redis, workers and the simulator', () => {
  test('summary in the channel; the redacted log as a file in its thread with the matched lines', async () => {
    const { message, reply, file } = await run('logs mlserver-0 -n financial-ml -c agent');
    expect(message.text).toContain('Logs of mlserver-0/agent in financial-ml');
    expect(message.text).toContain('agent-waiting');
    expect(checkBlocks(message.blocks ?? [])).toEqual([]);
    // The file: the whole log, kubelet timestamps, secrets masked.
    expect(reply.files![0]!.name).toBe('mlserver-0-agent.log');
    expect(file).toContain('Waiting for Inference Server service to become ready');
    expect(file).toMatch(/^2025-07-06T\d\d:\d\d:\d\d/);
    expect(file).toContain('db_password=[redacted]');
    expect(file).toMatch(/token=\[redacted\](?!\])/);
    expect(file).not.toContain(SECRET);
    expect(file).not.toContain('abcdefABCDEF');
    // Neither is the secret anywhere in Slack's messages.
    expect(all(message) + all(reply)).not.toContain(SECRET);
    // The excerpt of matched lines is the file's comment in the thread.
    expect(reply.text).toContain('Full log of mlserver-0/agent attached');
    expect(reply.text).toContain('lines matching a known signature');
    expect(reply.text).toContain('connection refused');
  }, 30_000);

  test('--grep: the matching lines in the message and the file comment', async () => {
    const { message, reply, file } = await run("logs mlserver-0 -n financial-ml -c agent --grep 'scheduler|notifier'");
    expect(message.text).toMatch(/\d+ lines? matching scheduler\|notifier/);
    expect(all(message)).toContain('Lines matching');
    expect(all(message)).toContain('connecting to scheduler');
    expect(all(message)).toContain('db_password=[redacted]');
    expect(reply.text).toMatch(/lines? matching `scheduler\|notifier`/);
    expect(reply.text).toContain('slack notifier ready');
    expect(reply.text).not.toContain(TOKEN);
    // The file is the whole log, not only the grep hits.
    expect(file).toContain('Waiting for Inference Server');
  }, 30_000);

  test('no -c on a pod with several containers: the default-container annotation picks one', async () => {
    const { message, reply } = await run('logs mlserver-0 -n financial-ml --previous');
    expect(message.text).toContain('Logs of mlserver-0/mlserver (previous) in financial-ml');
    expect(reply.files![0]!.name).toBe('mlserver-0-mlserver-previous.log');
  }, 30_000);
});
