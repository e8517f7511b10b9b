/**
 * What a verb needs from the channel policy (src/authz/policy.ts), as data a verb's spec
 * carries (src/commands/verbs). No imports: the command registry and the policy both read it.
 */

/**
 * A verb's permission:
 * - `open`: anyone, anywhere (help); the policy is not asked.
 * - `channel`: the channel's policy entry must allow the verb (its `verbs:` list), and the
 *   command's namespace and cluster must be allowed there.
 *
 * `intrusive(cmd)` says when a command changes something in the cluster (a debug container):
 * then the user must also be among the channel's intrusive users or groups.
 */
export interface Permission<C> {
  policy: 'open' | 'channel';
  intrusive(cmd: C): boolean;
}

/** The permission of a verb that only reads: allowed by the channel policy, never intrusive. */
export function readOnly<C>(): Permission<C> {
  return { policy: 'channel', intrusive: () => false };
}
