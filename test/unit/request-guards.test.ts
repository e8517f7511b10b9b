import { expect, test } from '@jest/globals';
import { timestampWithinWindow } from '../../src/slack/request-guards.js';

test('timestampWithinWindow: ±300 s of now, both ways; junk refused', () => {
  const now = 1_750_000_000_000;
  const s = now / 1000;
  expect(timestampWithinWindow(String(s), now)).toBe(true);
  expect(timestampWithinWindow(String(s + 300), now)).toBe(true);
  expect(timestampWithinWindow(String(s - 300), now)).toBe(true);
  expect(timestampWithinWindow(String(s + 301), now)).toBe(false);
  expect(timestampWithinWindow(String(s - 301), now)).toBe(false);
  expect(timestampWithinWindow('1e10', now)).toBe(false);
  expect(timestampWithinWindow(undefined, now)).toBe(false);
});
