/**
 * The diagnosis: what the analysis concludes from one {@link Evidence}. Pure data; the
 * JSON output (`--output json`) is this object's stable subset (see src/render/json.ts).
 */
import type { TargetEvidence, Step } from '../evidence.js';
import type { Remediation } from '../remediation/types.js';

/** Stable cause ids (../shared/spec/causes.md). Add freely; never rename one. */
export const CAUSE_IDS = [
  'probe-bind-mismatch',
  'server-oom-killed',
  'server-crashloop',
  'server-not-ready-yet',
  'port-mismatch',
  'bind-address-mismatch',
  'ip-family-mismatch',
  'server-not-in-pod',
  'port-conflict',
  'sidecar-interception',
  'hostnetwork-port-conflict',
  'separate-netns',
  'network-policy-blocks',
  'liveness-kills-slow-start',
  'unknown',
] as const;
export type CauseId = (typeof CAUSE_IDS)[number];

export const OPTION_IDS = ['shared-mlserver', 'service-routing', 'platform-change'] as const;
export type OptionId = (typeof OPTION_IDS)[number];
export type OptionFitLevel = 'recommended' | 'possible' | 'not-needed';

/** One quoted fact for or against a hypothesis. */
export interface EvidenceItem {
  kind: 'log' | 'status' | 'event' | 'listener' | 'dial' | 'netns' | 'spec' | 'policy' | 'node' | 'note';
  /** The fact in one line, quoting the source (a log line, a status field, a socket row). */
  text: string;
  /** When it happened, when it has a time. */
  at?: string;
  /** Where it came from: `mlserver logs (previous)`, `pod status`, `/proc/net/tcp`. */
  source?: string;
}

export interface Hypothesis {
  cause: CauseId;
  /** 0..1; hypotheses are ranked by it. */
  confidence: number;
  /** One sentence: what is true if this is the cause. */
  summary: string;
  evidence: EvidenceItem[];
  against: EvidenceItem[];
  /** The targeted fix, concrete for this pod (names the env var, the port). */
  fix: string;
  /** The fix as a patch to the object that owns the setting (attached after diagnose, src/remediation). */
  remediation?: Remediation;
}

export interface OptionFit {
  id: OptionId;
  fit: OptionFitLevel;
  /** One sentence why, for this incident. */
  why: string;
  /** The standing trade-off of the option. */
  tradeoff: string;
}

export interface TimelineEntry {
  at: string;
  container?: string;
  what: string;
  kind: 'start' | 'terminated' | 'restart' | 'probe-failed' | 'killed' | 'refused' | 'ready' | 'listening' | 'oom' | 'event' | 'log';
}

export interface Diagnosis {
  target: TargetEvidence;
  /** Ranked, highest confidence first; always at least one (`unknown` when nothing fits). */
  hypotheses: Hypothesis[];
  /** Causes the evidence rules out, with the evidence that rules them out. */
  ruledOut: { cause: CauseId; why: string }[];
  options: OptionFit[];
  timeline: TimelineEntry[];
  steps: Step[];
  /** Correlations drawn from the timeline, e.g. "refused at 15:19:24, 4 s after mlserver was killed". */
  correlations: string[];
  /** What to collect next when the evidence is thin. */
  next: string[];
  generatedAt: string;
}

/** What every rule gets besides the evidence. The clock is a parameter, never read. */
export interface RuleContext {
  now: Date;
}
