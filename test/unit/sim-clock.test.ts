import { describe, expect, it } from '@jest/globals';
import { DeadlineReached, parseDuration, SimClock } from '../../src/sim/clock.js';

describe('SimClock', () => {
  it('a wait passes simulated time; a deadline inside it ends the wait there', () => {
    const clock = new SimClock();
    clock.wait(2);
    expect(clock.now).toBe(2);
    const r = clock.within(5, () => {
      clock.wait(127);
      return 0;
    });
    expect(r).toEqual({ killed: true });
    expect(clock.now).toBe(7);
    expect(clock.within(5, () => (clock.wait(1), 3))).toEqual({ status: 3, killed: false });
    expect(clock.within(0, () => (clock.wait(1000), 4))).toEqual({ status: 4, killed: false });
  });

  it('nested deadlines: the earliest fires, and only its own `within` catches it', () => {
    const clock = new SimClock();
    const outer = clock.within(3, () => {
      const inner = clock.within(10, () => (clock.wait(60), 0));
      return inner.killed ? 1 : 0;
    });
    expect(outer).toEqual({ killed: true });
    expect(clock.now).toBe(3);
    expect(() => clock.wait(1)).not.toThrow(DeadlineReached);
  });

  it('parses coreutils durations', () => {
    expect(parseDuration('5')).toBe(5);
    expect(parseDuration('1.5s')).toBe(1.5);
    expect(parseDuration('2m')).toBe(120);
    expect(parseDuration('1d')).toBe(86400);
    expect(parseDuration('-1')).toBeUndefined();
    expect(parseDuration('soon')).toBeUndefined();
  });
});
