/**
 * Every rule, one per cause id: the compiler refuses this registry when a cause id of
 * `CAUSE_IDS` has no rule here, or a rule lacks a part (src/analysis/rule.ts). The diagnosis
 * runs them all; their order is the order of the ruled-out lines (the broad causes first).
 */
import type { CauseId } from '../types.js';
import type { Rule } from '../rule.js';
import { probeBindMismatch } from './probe-bind-mismatch.js';
import { serverOomKilled } from './server-oom-killed.js';
import { serverCrashloop } from './server-crashloop.js';
import { serverNotReadyYet } from './server-not-ready-yet.js';
import { portMismatch } from './port-mismatch.js';
import { bindAddressMismatch } from './bind-address-mismatch.js';
import { ipFamilyMismatch } from './ip-family-mismatch.js';
import { serverNotInPod } from './server-not-in-pod.js';
import { portConflict } from './port-conflict.js';
import { sidecarInterception } from './sidecar-interception.js';
import { hostnetworkPortConflict } from './hostnetwork-port-conflict.js';
import { separateNetns } from './separate-netns.js';
import { networkPolicyBlocks } from './network-policy-blocks.js';
import { livenessKillsSlowStart } from './liveness-kills-slow-start.js';
import { unknown } from './unknown.js';

/** The rule of each cause id. */
export const RULE_OF: { readonly [C in CauseId]: Rule<C> } = Object.freeze({
  'separate-netns': separateNetns,
  'network-policy-blocks': networkPolicyBlocks,
  'port-mismatch': portMismatch,
  'server-not-in-pod': serverNotInPod,
  'server-oom-killed': serverOomKilled,
  'server-crashloop': serverCrashloop,
  'hostnetwork-port-conflict': hostnetworkPortConflict,
  'sidecar-interception': sidecarInterception,
  'probe-bind-mismatch': probeBindMismatch,
  'server-not-ready-yet': serverNotReadyYet,
  'bind-address-mismatch': bindAddressMismatch,
  'ip-family-mismatch': ipFamilyMismatch,
  'port-conflict': portConflict,
  'liveness-kills-slow-start': livenessKillsSlowStart,
  unknown,
});

/** Every rule, in {@link RULE_OF}'s order. */
export const RULES: readonly Rule[] = Object.freeze(Object.values(RULE_OF));
