/** Every rule, one per cause id. The diagnosis runs them all; order does not matter. */
import type { Rule } from '../types.js';
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

export const RULES: readonly Rule[] = Object.freeze([
  probeBindMismatch,
  serverOomKilled,
  serverCrashloop,
  serverNotReadyYet,
  portMismatch,
  bindAddressMismatch,
  ipFamilyMismatch,
  serverNotInPod,
  portConflict,
  sidecarInterception,
  hostnetworkPortConflict,
  separateNetns,
  networkPolicyBlocks,
  livenessKillsSlowStart,
  unknown,
]);

export {
  probeBindMismatch,
  serverOomKilled,
  serverCrashloop,
  serverNotReadyYet,
  portMismatch,
  bindAddressMismatch,
  ipFamilyMismatch,
  serverNotInPod,
  portConflict,
  sidecarInterception,
  hostnetworkPortConflict,
  separateNetns,
  networkPolicyBlocks,
  livenessKillsSlowStart,
  unknown,
};
