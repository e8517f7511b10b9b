import { MAX_PAUSE_MS, TokenBucket, type Clock } from '../../src/cluster/rate-limit.js';

/** A clock that only moves when a caller sleeps; records when each token was granted. */
function fakeClock(): Clock & { t: number } {
  const c = {
    t: 0,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.t += ms;
    },
  };
  return c;
}

describe('TokenBucket', () => {
  it('defaults to one cluster budget of 50 qps, burst 100', () => {
    const b = new TokenBucket({ clock: fakeClock() });
    expect(b.qps).toBe(50);
    expect(b.burst).toBe(100);
  });

  it('lets a burst through at once, then spaces requests at 1/qps', () => {
    const clock = fakeClock();
    const b = new TokenBucket({ qps: 5, burst: 10, clock });
    const waits = Array.from({ length: 13 }, () => b.reserve().waitMs);
    expect(waits.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(waits.slice(10)).toEqual([200, 400, 600]);
  });

  it('refills with time, up to the burst and no more', () => {
    const clock = fakeClock();
    const b = new TokenBucket({ qps: 2, burst: 3, clock });
    for (let i = 0; i < 3; i++) b.reserve();
    clock.t += 10_000; // long idle: bucket full again, but only 3
    expect([b.reserve(), b.reserve(), b.reserve()].map((r) => r.waitMs)).toEqual([0, 0, 0]);
    expect(b.reserve().waitMs).toBe(500);
  });

  it('never grants more than burst + qps*window in any window (sequential takers)', async () => {
    const clock = fakeClock();
    const b = new TokenBucket({ qps: 5, burst: 10, clock });
    const granted: number[] = [];
    for (let i = 0; i < 60; i++) {
      await b.take();
      granted.push(clock.t);
    }
    for (const start of granted) {
      const inWindow = granted.filter((t) => t >= start && t < start + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(10 + 5);
    }
    // 60 requests: 10 free, 50 at 5/s = 10 s.
    expect(granted[59]).toBe(10_000);
  });

  it('a 429 pause holds every taker, voids earlier reservations, then resumes at qps without a burst', async () => {
    const clock = fakeClock();
    const b = new TokenBucket({ qps: 10, burst: 5, clock });
    for (let i = 0; i < 5; i++) b.reserve(); // bucket empty
    const held = b.reserve(); // waits 100 ms for its token
    expect(held.waitMs).toBe(100);
    await b.pause(1000);
    // The reservation made before the pause is void: confirming it reserves afresh, after the pause.
    const again = b.reserve(held.epoch);
    expect(again.epoch).toBe(held.epoch + 1);
    expect(again.waitMs).toBe(1100);
    // Without the pause, a held reservation is confirmed at once.
    expect(b.reserve(again.epoch).waitMs).toBe(0);
    clock.t += 1000;
    expect(b.reserve().waitMs).toBe(200); // refills from zero at 10/s: 0.1 s per token, one already taken
  });

  it('a pause is capped, and a shorter one does not shorten a longer one', async () => {
    const clock = fakeClock();
    const b = new TokenBucket({ qps: 1000, burst: 1, clock });
    await b.pause(60_000);
    expect(b.reserve().waitMs).toBe(MAX_PAUSE_MS + 1);
    await b.pause(10);
    expect(b.reserve().waitMs).toBe(MAX_PAUSE_MS + 2);
  });

  it('rejects nonsense settings with a message that says what is allowed', () => {
    expect(() => new TokenBucket({ qps: 0 })).toThrow(/qps must be a positive number/);
    expect(() => new TokenBucket({ burst: 0.5 })).toThrow(/burst must be an integer >= 1/);
  });
});
