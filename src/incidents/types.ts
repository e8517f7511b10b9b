/** Incident records: a Slack thread that tells the whole story of one outage. */
import type { TimelineChartModel } from '../render/timeline-chart.js';

export interface Incident {
  /** Short id without ':' (used in job ids and keys), e.g. `inc-20250706-1a2b`. */
  id: string;
  title: string;
  channel: string;
  /** The thread every entry is posted under (the ts of the incident's first message). */
  threadTs: string;
  openedBy: string;
  openedAt: string;
  status: 'open' | 'closed';
  closedAt?: string;
  closedBy?: string;
}

export type TimelineKind = 'opened' | 'command' | 'finding' | 'action' | 'runbook-step' | 'watch' | 'note' | 'closed';

export interface IncidentEntry {
  at: string;
  kind: TimelineKind;
  /** Slack user id, or `podnet` for the bot's own findings. */
  who: string;
  /** One line. */
  text: string;
  /** For findings: the leading cause and its confidence. */
  cause?: string;
  confidence?: number;
  /** For findings: the fix the diagnosis gives. */
  fix?: string;
  /** For findings: a few quoted evidence lines. */
  evidence?: string[];
  /** The pod the entry is about, `namespace/pod`. */
  target?: string;
  /**
   * For findings: what the check's timeline chart is drawn from (the model, bounded, never the
   * image; its texts redacted like the rest of the entry), so `incident close` can draw it into
   * the postmortem. Absent on entries stored before it was kept, and on checks without evidence.
   */
  chart?: TimelineChartModel;
}
