/**
 * The bot's last step before a queue: a command for a cluster with no live worker is refused
 * with a clear answer (which clusters are live, how to start a worker) instead of waiting
 * silently in a queue nobody consumes. Wraps the bot's `enqueue`, so slash commands, buttons
 * and mentions all pass through it.
 */
import { commandRoutes, describeCommand, type ParsedCommand } from '../commands/grammar.js';
import { PodnetError } from '../errors.js';
import type { ClusterGate } from './heartbeat.js';

/**
 * Thrown instead of enqueueing. Code `bad-input`: the Slack app shows the message as it is,
 * and repeating the command cannot help until a worker starts.
 */
export class NoLiveWorkerError extends PodnetError {
  constructor(
    readonly cluster: string,
    message: string,
  ) {
    super('bad-input', message, { detail: { cluster } });
    this.name = 'NoLiveWorkerError';
  }
}

/**
 * The cluster a command targets: set on every command whose verb spec routes it (the Slack app
 * fills it from `--cluster`, the channel policy or the default). A routed command without one is
 * a bug upstream, refused here rather than run on whatever cluster the producer defaults to.
 */
export function commandCluster(cmd: ParsedCommand): string | undefined {
  const cluster = 'cluster' in cmd ? cmd.cluster : undefined;
  if (cluster === undefined && commandRoutes(cmd)) throw new PodnetError('internal', `the ${describeCommand(cmd)} names no cluster; it was not routed`);
  return cluster;
}

/**
 * Wraps an enqueue function: commands that name a cluster go through only when the cluster has a
 * live worker (`gate.refuse`: one Redis EXISTS, or none within its cache window).
 */
export function withClusterGate<C, R>(enqueue: (cmd: ParsedCommand, ctx: C) => Promise<R>, gate: ClusterGate): (cmd: ParsedCommand, ctx: C) => Promise<R> {
  return async (cmd, ctx) => {
    const cluster = commandCluster(cmd);
    if (cluster !== undefined) {
      const refusal = await gate.refuse(cluster);
      if (refusal !== undefined) throw new NoLiveWorkerError(cluster, refusal);
    }
    return enqueue(cmd, ctx);
  };
}
