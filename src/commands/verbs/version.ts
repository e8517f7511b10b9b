/** `version`: podnet's version, and each live worker's, read from the workers' heartbeats. */
import { joinMrkdwn, md, type Mrkdwn } from '../../render/slack-limits.js';
import { expectPositionals, scanInput } from './scan.js';
import type { ClusterSummary, VerbSpec } from './spec.js';

export interface VersionCommand {
  verb: 'version';
}

/**
 * The answer (Slack mrkdwn): the bot's version, then one line per live worker with its
 * cluster, host and version; a worker on another version than the bot is marked, since a
 * rolling update in progress (or one that stopped half-way) is what this verb is asked to show.
 * `clusters` is undefined when the deployment reads no heartbeats.
 */
export function versionText(version: string, clusters: ClusterSummary[] | undefined): string {
  const head = md`*podnet* ${version} (this bot)`;
  if (clusters === undefined) return joinMrkdwn([head, md`Worker versions are not available in this deployment (no heartbeats).`], '\n').text;
  const lines: Mrkdwn[] = [];
  for (const c of clusters.filter((x) => x.live)) {
    for (const w of c.workers) {
      const differs = w.version === version ? '' : ' — differs from the bot';
      lines.push(md`• *${c.cluster}* ${w.hostname || w.workerId}: ${w.version}${differs}`);
    }
  }
  if (lines.length === 0) lines.push(md`No live worker. Start one per cluster with \`podnet worker --cluster NAME\`.`);
  return joinMrkdwn([head, ...lines], '\n').text;
}

export const versionVerb = {
  name: 'version',
  aliases: [],
  usage: () => 'version',
  summary: "podnet's version, and each live worker's (from their heartbeats)",
  surfaces: ['slack'],
  flags: [],
  parse(input) {
    const s = scanInput('version', [], input);
    expectPositionals('version', s, 0, 'version');
    return { verb: 'version' };
  },
  format: () => [],
  describe: () => 'version',
  routes: () => false,
  permission: { policy: 'channel', intrusive: () => false },
  run: {
    on: 'bot',
    answer: async (_cmd, bot) => versionText(bot.version, bot.clusters ? await bot.clusters() : undefined),
    renderer: 'src/commands/verbs/version.ts#versionText',
  },
} as const satisfies VerbSpec<VersionCommand>;
