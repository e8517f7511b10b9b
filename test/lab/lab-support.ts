/**
 * Shared by the lab tier: whether this machine can run a lab. Under CI=true a machine that
 * cannot is a failure (no suite may be skipped there); elsewhere the tier is skipped with
 * the one line saying what is missing.
 */
import { describe, it } from '@jest/globals';
import { labPrerequisites } from '../../src/lab/preflight.js';

export const missing = labPrerequisites();

/** `describe` when a lab can run here; otherwise a skip (or, under CI, one failing test). */
export function describeLab(name: string, body: () => void): void {
  if (!missing) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('can run a lab on this machine', () => {
        throw new Error(`the lab tier must run in CI: ${missing}`);
      });
    });
    return;
  }
  console.warn(`${name}: skipped: ${missing}`);
  describe.skip(name, body);
}
