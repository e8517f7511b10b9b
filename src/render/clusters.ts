/**
 * What the bot says about clusters and their workers (Slack mrkdwn), pure: the answer to
 * `/podnet clusters` and the refusal of a command for a cluster with no live worker. The data
 * comes from the workers' heartbeats (src/queue/heartbeat.ts `listClusters`) and the command
 * (`--cluster NAME`): every name and version is escaped (md), so none can ping or link.
 */
import { joinMrkdwn, md } from './slack-limits.js';

/** How every refusal begins (metrics classify audit records by it). */
export const NO_LIVE_WORKER = 'No live podnet worker for cluster';

/** What the texts read of one cluster (src/queue/heartbeat.ts `ClusterStatus` is one). */
export interface ClusterListing {
  cluster: string;
  /** True while at least one worker's beat is fresh. */
  live: boolean;
  workers: readonly { version: string }[];
  /** Milliseconds since the most recent beat of any of its workers. */
  lastSeenAgoMs: number;
}

/** "4s", "3m", "2h", "5d". */
export function formatAge(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s}s`;
  if (s < 90 * 60) return `${Math.round(s / 60)}m`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

/** The answer to a command for a cluster with no live worker (Slack mrkdwn). */
export function noLiveWorkerText(cluster: string, clusters: readonly ClusterListing[]): string {
  const self = clusters.find((c) => c.cluster === cluster);
  const live = clusters.filter((c) => c.live).map((c) => c.cluster);
  const seen = self ? ` (last seen ${formatAge(self.lastSeenAgoMs)} ago)` : ' (never seen)';
  const known = live.length ? md`live clusters: ${joinMrkdwn(live.map((c) => md`${c}`), ', ')}` : md`no cluster has a live worker`;
  return md`${NO_LIVE_WORKER} *${cluster}*${seen}; ${known}. Nothing was queued. Start one with \`podnet worker --cluster ${cluster}\` (in Kubernetes: \`kubectl -n podnet rollout status deploy/podnet-worker\` in that cluster), or pick a live cluster with \`--cluster NAME\`.`.text;
}

/** The answer to `/podnet clusters` (Slack mrkdwn). */
export function clustersText(clusters: readonly ClusterListing[], defaultCluster?: string): string {
  if (clusters.length === 0) {
    return 'No podnet worker has registered yet. Start one per cluster with `podnet worker --cluster NAME`.';
  }
  const lines = clusters.map((c) => {
    const dflt = c.cluster === defaultCluster ? ' (default)' : '';
    if (!c.live) return md`• :red_circle: *${c.cluster}*${dflt} — no live worker, last seen ${formatAge(c.lastSeenAgoMs)} ago`.text;
    const versions = [...new Set(c.workers.map((w) => w.version))].join(', ');
    const n = c.workers.length;
    return md`• :large_green_circle: *${c.cluster}*${dflt} — ${n} worker${n === 1 ? '' : 's'} (v${versions}), last beat ${formatAge(c.lastSeenAgoMs)} ago`.text;
  });
  return ['*Clusters*', ...lines, 'Route a command with `--cluster NAME`; a channel may have its own in the policy.'].join('\n');
}
