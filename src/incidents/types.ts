/** Incident records: a Slack thread that tells the whole story of one outage. */

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
}
