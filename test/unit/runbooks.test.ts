import { loadRunbookDir, parseRunbook } from '../../src/runbooks/loader.js';
import { evaluateCondition } from '../../src/runbooks/schema.js';
import { advanceRun, startRun, type CheckSummary, type RunbookActions, type StepOutcome } from '../../src/runbooks/runner.js';

function recordingActions(summary: CheckSummary) {
  const calls: string[] = [];
  const actions: RunbookActions = {
    check: async (t) => { calls.push(`check ${t.namespace}/${t.pod}`); return summary; },
    logs: async (_t, o) => { calls.push(`logs ${o.container} previous=${o.previous}`); return 'collected 120 lines'; },
    sweep: async (ns) => { calls.push(`sweep ${ns}`); return 'swept'; },
    watch: async (_t, o) => { calls.push(`watch every=${o.every} for=${o.for}`); return 'watching'; },
    post: async (text) => { calls.push(`post ${text}`); },
    wait: async (ms) => { calls.push(`wait ${ms}`); },
    debug: async (_t, image) => { calls.push(`debug ${image}`); return 'attached'; },
  };
  return { calls, actions };
}

const seedSummary: CheckSummary = {
  cause: 'probe-bind-mismatch', confidence: 0.92, client: 'agent', server: 'mlserver', restarts: 4, dial: 'connected',
  headline: 'probe-bind-mismatch (92%)',
};

describe('runbook schema and loader', () => {
  it('loads the shipped runbooks', async () => {
    const books = await loadRunbookDir('runbooks');
    expect([...books.keys()]).toEqual(['crashloop-triage', 'mlserver-unreachable', 'oom-triage']);
  });

  it('points at the line and path of a bad condition', () => {
    const text = [
      'apiVersion: podnet.dev/v1alpha1',
      'kind: Runbook',
      'metadata: { name: bad }',
      'steps:',
      '  - check: {}',
      '  - post: hi',
      '    when: cause === oom',
    ].join('\n');
    expect(() => parseRunbook(text, 'bad.yaml')).toThrow(/^bad\.yaml:7:11: steps\[1\]\.when: expected conditions like/);
  });

  it('rejects an unknown step kind and a debug step without confirm', () => {
    const base = 'apiVersion: podnet.dev/v1alpha1\nkind: Runbook\nmetadata: { name: x }\nsteps:\n';
    expect(() => parseRunbook(`${base}  - reboot: {}\n`, 'x.yaml')).toThrow(/x\.yaml:5:5: steps\[0\]/);
    expect(() => parseRunbook(`${base}  - debug: { image: busybox }\n`, 'x.yaml')).toThrow(/steps\[0\]\.confirm: a debug step is intrusive/);
  });

  it('reports YAML syntax errors with line and column', () => {
    expect(() => parseRunbook('steps: [\n  - a', 'y.yaml')).toThrow(/^y\.yaml:\d+:\d+: not valid YAML/);
  });

  it('evaluates conditions', () => {
    const vars = { cause: 'server-oom-killed', confidence: 0.8, restarts: 3 };
    expect(evaluateCondition('cause == server-oom-killed', vars)).toBe(true);
    expect(evaluateCondition('cause != server-oom-killed', vars)).toBe(false);
    expect(evaluateCondition('confidence >= 0.7 and restarts > 2', vars)).toBe(true);
    expect(evaluateCondition('confidence >= 0.9 or restarts > 5', vars)).toBe(false);
    expect(evaluateCondition('dial == refused', vars)).toBe(false);
  });
});

describe('runbook runner', () => {
  it('takes the branch the diagnosis selects and skips the others', async () => {
    const books = await loadRunbookDir('runbooks');
    const rb = books.get('mlserver-unreachable')!;
    const { calls, actions } = recordingActions(seedSummary);
    const seen: StepOutcome[] = [];
    const end = await advanceRun(rb, startRun(rb, { namespace: 'financial-ml', pod: 'mlserver-0' }), actions, { onOutcome: (o) => { seen.push(o); } });
    expect(end.status).toBe('done');
    expect(calls[0]).toBe('check financial-ml/mlserver-0');
    expect(calls).toContain('logs mlserver previous=true');
    expect(calls.some((c) => c.startsWith('post Fix: let mlserver bind 0.0.0.0'))).toBe(true);
    expect(calls.some((c) => c.includes('Escalate'))).toBe(false);
    expect(seen.find((o) => o.id === 'oom-logs')?.status).toBe('skipped');
    expect(seen.find((o) => o.id === 'escalate-netns')?.detail).toMatch(/cause == separate-netns is false \(cause=probe-bind-mismatch/);
    expect(seen).toHaveLength(rb.steps.length);
  });

  it('waits for confirmation before an intrusive step and resumes', async () => {
    const rb = (await loadRunbookDir('runbooks')).get('crashloop-triage')!;
    const { calls, actions } = recordingActions({ ...seedSummary, cause: 'unknown' });
    const paused = await advanceRun(rb, startRun(rb, { namespace: 'ns', pod: 'web-1' }), actions);
    expect(paused.status).toBe('awaiting-confirm');
    expect(paused.outcomes.at(-1)).toMatchObject({ id: 'debug', status: 'awaiting-confirm', detail: 'Attach an ephemeral debug container (busybox) to web-1 to look around?' });
    expect(calls.some((c) => c.startsWith('debug'))).toBe(false);

    const declined = await advanceRun(rb, paused, actions, { confirmation: 'declined' });
    expect(declined.status).toBe('done');
    expect(calls.some((c) => c.startsWith('debug'))).toBe(false);

    const confirmed = await advanceRun(rb, paused, actions, { confirmation: 'confirmed' });
    expect(confirmed.status).toBe('done');
    expect(calls).toContain('debug busybox:1.36');
  });

  it('stops on a failed step and says why', async () => {
    const rb = (await loadRunbookDir('runbooks')).get('oom-triage')!;
    const { actions } = recordingActions(seedSummary);
    actions.check = async () => { throw new Error('pod ns/x not found'); };
    const end = await advanceRun(rb, startRun(rb, { namespace: 'ns', pod: 'x' }), actions);
    expect(end.status).toBe('failed');
    expect(end.outcomes).toEqual([expect.objectContaining({ kind: 'check', status: 'failed', detail: 'pod ns/x not found' })]);
  });
});
