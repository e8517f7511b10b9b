/** The simulator's model of how long kubelet lets a starting container live (src/sim/workloads.ts). */
import { describe, expect, it } from '@jest/globals';
import { startBudgetSeconds } from '../../src/sim/workloads.js';

describe('startBudgetSeconds', () => {
  it('a startupProbe sets the budget, whatever the livenessProbe says', () => {
    expect(startBudgetSeconds({ startupProbe: { periodSeconds: 10, failureThreshold: 60 }, livenessProbe: { initialDelaySeconds: 60, periodSeconds: 10, failureThreshold: 3 } })).toBe(600);
    expect(startBudgetSeconds({ startupProbe: { initialDelaySeconds: 5, periodSeconds: 2, failureThreshold: 4 } })).toBe(13);
  });

  it('without a startupProbe the livenessProbe does, with the API defaults (0 s delay, 10 s period, 3 failures)', () => {
    expect(startBudgetSeconds({ livenessProbe: { initialDelaySeconds: 60, periodSeconds: 10, failureThreshold: 3 } })).toBe(90);
    expect(startBudgetSeconds({ livenessProbe: { httpGet: { path: '/health', port: 8000 } } })).toBe(30);
    expect(startBudgetSeconds({ startupProbe: {} })).toBe(30);
  });

  it('with neither probe nothing kills a slow start', () => {
    expect(startBudgetSeconds({ readinessProbe: { periodSeconds: 1, failureThreshold: 1 } })).toBe(Infinity);
  });
});
