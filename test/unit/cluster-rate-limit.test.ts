import { TokenBucket, type Clock } from '../../src/cluster/rate-limit.js';

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
  it('defaults to client-go: qps 5, burst 10', () => {
    const b = new TokenBucket({ clock: fakeClock() });
    expect(b.qps).toBe(5);
    expect(b.burst).toBe(10);
  });

  it('lets a burst through at once, then spaces requests at 1/qps', () => {
    const clock = fakeClock();
    const b = new TokenBucket({ qps: 5, burst: 10, clock });
    const waits = Array.from({ length: 13 }, () => b.reserve());
    expect(waits.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(waits.slice(10).map((w) => Math.round(w))).toEqual([200, 400, 600]);
  });

  it('refills with time, up to the burst and no more', () => {
    const clock = fakeClock();
    const b = new TokenBucket({ qps: 2, burst: 3, clock });
    for (let i = 0; i < 3; i++) b.reserve();
    clock.t += 10_000; // long idle: bucket full again, but only 3
    expect([b.reserve(), b.reserve(), b.reserve()]).toEqual([0, 0, 0]);
    expect(b.reserve()).toBeCloseTo(500);
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
    expect(granted[59]).toBeCloseTo(10_000);
  });

  it('rejects nonsense settings with a message that says what is allowed', () => {
    expect(() => new TokenBucket({ qps: 0 })).toThrow(/qps must be a positive number/);
    expect(() => new TokenBucket({ burst: 0.5 })).toThrow(/burst must be an integer >= 1/);
  });
});
