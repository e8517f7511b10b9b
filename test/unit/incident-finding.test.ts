import { diagnose } from '../../src/analysis/diagnose.js';
import { findingEntry, FINDING_EVIDENCE_LINES } from '../../src/incidents/hooks.js';
import { seedIncident } from '../helpers/evidence-builders.js';

describe('an incident finding', () => {
  it('quotes one piece of evidence of each kind before more of the same kind', () => {
    const evidence = seedIncident();
    const d = diagnose(evidence, { now: new Date(evidence.clusterNow ?? evidence.collectedAt) });
    const top = d.hypotheses[0]!;
    expect(top.cause).toBe('probe-bind-mismatch');
    const entry = findingEntry(d, '2025-07-06T15:20:00Z');
    expect(entry.evidence).toHaveLength(Math.min(FINDING_EVIDENCE_LINES, top.evidence.length));
    const kinds = new Set(top.evidence.map((e) => e.kind));
    const quotedKinds = new Set(top.evidence.filter((e) => entry.evidence!.some((line) => line.includes(e.text.replace(/\s+/g, ' ').trim()))).map((e) => e.kind));
    expect(quotedKinds.size).toBe(Math.min(kinds.size, FINDING_EVIDENCE_LINES));
    expect(entry).toMatchObject({ kind: 'finding', cause: 'probe-bind-mismatch', fix: top.fix });
  });
});
