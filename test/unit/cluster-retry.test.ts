import { PodnetError } from '../../src/errors.js';
import { backoffMs, isTransient, withRetry } from '../../src/cluster/retry.js';

const noSleep = { sleep: async () => undefined };

describe('withRetry', () => {
  it('retries a transient failure and returns the eventual success', async () => {
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw new PodnetError('server-error', 'boom');
        return 'ok';
      },
      { clock: noSleep },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('gives up after the configured retries', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new PodnetError('timeout', 'slow');
        },
        { retries: 2, clock: noSleep },
      ),
    ).rejects.toThrow('slow');
    expect(calls).toBe(3);
  });

  it.each(['forbidden', 'not-found', 'bad-input'] as const)('never retries %s', async (code) => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new PodnetError(code, 'no');
        },
        { clock: noSleep },
      ),
    ).rejects.toMatchObject({ code });
    expect(calls).toBe(1);
  });

  it('waits exponentially growing, jittered delays', async () => {
    const waits: number[] = [];
    await expect(
      withRetry(
        async () => {
          throw new PodnetError('unavailable', 'down');
        },
        { retries: 3, baseMs: 100, random: () => 0.999, clock: { sleep: async (ms) => void waits.push(ms) } },
      ),
    ).rejects.toThrow('down');
    expect(waits).toEqual([100, 200, 400]);
  });

  it('honours Retry-After on 429 (capped by maxMs)', () => {
    const e = new PodnetError('rate-limited', 'slow down', { detail: { retryAfterMs: 3000 } });
    expect(backoffMs(e, 1, { baseMs: 100 })).toBe(3000);
    expect(backoffMs(e, 1, { maxMs: 1000 })).toBe(1000);
  });

  it('classifies codes', () => {
    expect(isTransient(new PodnetError('server-error', ''))).toBe(true);
    expect(isTransient(new PodnetError('rate-limited', ''))).toBe(true);
    expect(isTransient(new PodnetError('forbidden', ''))).toBe(false);
  });
});
