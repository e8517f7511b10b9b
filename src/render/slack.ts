/**
 * Block Kit rendering: a channel summary with buttons, thread messages with the detail, and a
 * progress message. Every message goes through slack-limits.ts, the one place the limits
 * live. Pure.
 */
import type { Evidence } from '../evidence.js';
import type { Diagnosis, Hypothesis, OptionFitLevel } from '../analysis/types.js';
import { FIT_LABEL, hms, itemLine, pct, targetLine } from './format.js';
import { remediationDiffLines, remediationHeadline, targetName } from './remediation.js';
import { isApplicable, type Remediation } from '../remediation/types.js';
import { changedLines } from '../remediation/fix-store.js';
import {
  actions,
  button,
  buttonValue,
  context,
  divider,
  escapeMrkdwn as esc,
  finishMessages,
  header,
  joinMrkdwn,
  md,
  section,
  sections,
  type Block,
  type SlackMessage,
} from './slack-limits.js';

export type { SlackMessage, Block } from './slack-limits.js';

/** Action ids of the summary's buttons (H4's listeners route on these). */
export const SLACK_ACTIONS = Object.freeze({
  rerun: 'podnet_rerun',
  logs: 'podnet_logs',
  debug: 'podnet_debug',
  evidence: 'podnet_evidence',
  applyFix: 'podnet_apply_fix',
  rollBack: 'podnet_roll_back',
});

/** What every button carries: enough to re-run the check. Parse with JSON.parse. */
export interface ButtonPayload {
  ns: string;
  pod: string;
  client?: string;
  server?: string;
  port?: number;
  container?: string;
  /** Apply fix: the cause whose remediation to apply, and a hash of its patch as shown. */
  cause?: string;
  patch?: string;
}

/** Options for {@link renderSlackSummary}. */
export interface SlackSummaryOptions {
  /** Show *Apply fix* when the top cause has a validated patch (the requester may take intrusive actions). */
  applyFix?: boolean;
}

/** A short, stable hash of a patch (FNV-1a), so the press applies what the dialog showed. Pure. */
export function patchHash(patch: unknown): string {
  let h = 0x811c9dc5;
  for (const ch of JSON.stringify(patch)) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

const FIT_ICON: Record<OptionFitLevel, string> = { recommended: ':large_green_circle:', possible: ':large_yellow_circle:', 'not-needed': ':white_circle:' };

/** The channel message: header, top cause + confidence + summary + fix, the options, context, buttons. */
export function renderSlackSummary(d: Diagnosis, options: SlackSummaryOptions = {}): SlackMessage {
  const t = d.target;
  const title = `podnet: ${t.pod} (${t.namespace})`;
  const top = d.hypotheses[0];
  const blocks: Block[] = [header(title)];
  if (top) {
    blocks.push(section(md`*Most likely cause:* \`${top.cause}\` — *${pct(top.confidence)}* confidence\n${top.summary}`));
    blocks.push(section(md`*Fix:* ${top.fix}`));
    if (top.remediation) blocks.push(section(md`*Remediation:* ${remediationHeadline(top.remediation)}${top.remediation.managedBy ? md`\n:warning: ${top.remediation.managedBy.note}` : ''}`));
  }
  const others = d.hypotheses.slice(1, 4).map((h) => md`\`${h.cause}\` ${pct(h.confidence)}`);
  if (others.length > 0) blocks.push(section(md`*Also considered:* ${joinMrkdwn(others, ' · ')}`));
  blocks.push(section(md`*Workaround options*\n${joinMrkdwn(d.options.map((o) => md`${FIT_ICON[o.fit]} \`${o.id}\` — *${FIT_LABEL[o.fit]}*: ${o.why}`), '\n')}`));
  const failed = d.steps.filter((s) => !s.ok).length;
  const ruled = d.ruledOut.map((r) => r.cause).slice(0, 6);
  blocks.push(
    context(
      md`${targetLine(d)}`,
      md`${d.steps.length - failed}/${d.steps.length} steps ok${failed > 0 ? ` · ${failed} failed (see thread)` : ''}`,
      ...(ruled.length > 0 ? [md`ruled out: ${ruled.join(', ')}`] : []),
      md`generated ${hms(d.generatedAt)} UTC`,
    ),
  );
  blocks.push(summaryButtons(d, options.applyFix === true && isApplicable(top?.remediation) ? top : undefined));
  const text = top ? md`${title} — ${top.cause} (${pct(top.confidence)}): ${top.summary}` : md`${title}`;
  return finishMessages(text, blocks)[0]!;
}

function summaryButtons(d: Diagnosis, fixable?: Hypothesis): Block {
  const t = d.target;
  const base: ButtonPayload = { ns: t.namespace, pod: t.pod, client: t.client, server: t.server, port: t.port };
  const value = (extra: Partial<ButtonPayload> = {}) => buttonValue({ ...base, ...extra });
  const apply = fixable?.remediation ? [applyFixButton(fixable.remediation, value({ cause: fixable.cause, patch: patchHash(fixable.remediation.patch) }))] : [];
  return actions([
    ...apply,
    button('Re-run', SLACK_ACTIONS.rerun, value(), { style: 'primary' }),
    button('Collect logs', SLACK_ACTIONS.logs, value({ container: t.server })),
    button('Attach debug container', SLACK_ACTIONS.debug, value(), {
      confirm: {
        title: { type: 'plain_text', text: 'Attach a debug container?' },
        text: {
          type: 'mrkdwn',
          text: `This adds an ephemeral container to \`${t.pod}\` in \`${t.namespace}\`. It stays in the pod spec until the pod is deleted.`,
        },
        confirm: { type: 'plain_text', text: 'Attach' },
        deny: { type: 'plain_text', text: 'Cancel' },
      },
    }),
    button('Show evidence', SLACK_ACTIONS.evidence, value()),
  ]);
}

/** *Apply fix*: intrusive, so a confirm dialog with the target and the diff. */
function applyFixButton(r: Remediation, value: string) {
  return button('Apply fix', SLACK_ACTIONS.applyFix, value, {
    style: 'danger',
    confirm: {
      title: { type: 'plain_text', text: 'Apply this patch?' },
      text: { type: 'mrkdwn', text: `Patch *${esc(targetName(r))}* (field manager podnet):\n\`\`\`\n${esc(changedLines(r.diff ?? []).join('\n'))}\n\`\`\`` },
      confirm: { type: 'plain_text', text: 'Apply' },
      deny: { type: 'plain_text', text: 'Cancel' },
    },
  });
}

/**
 * Thread messages: evidence per hypothesis, the listener table, the timeline and correlations,
 * steps with outcomes, ruled-out causes and what to collect next. Split as needed.
 */
export function renderSlackThread(d: Diagnosis, evidence?: Evidence): SlackMessage[] {
  const t = d.target;
  const who = `${t.pod} (${t.namespace})`;
  const out: SlackMessage[] = [];

  const hyp: Block[] = [];
  d.hypotheses.forEach((h, i) => {
    if (i > 0) hyp.push(divider());
    hyp.push(...hypothesisBlocks(h, i));
  });
  out.push(...finishMessages(md`podnet: evidence per hypothesis for ${who}`, hyp));

  const net: Block[] = [];
  const rows = listenerRows(d, evidence);
  if (rows.length > 0) net.push(...sections(md`*Listening sockets* (the pod's network namespace)`, rows.map((r) => esc(r)), { code: true }));
  if (evidence && evidence.netns.length > 0) {
    net.push(...sections(md`*Network namespaces*`, evidence.netns.map((n) => md`• \`${n.container}\`: ${n.netns ? md`\`${n.netns}\`` : md`_${n.error ?? 'not read'}_`}`)));
  }
  if (evidence && evidence.dials.length > 0) {
    net.push(...sections(md`*Dials*`, evidence.dials.map((x) => md`• ${x.from} → \`${x.host}:${x.port}\`: *${x.outcome}*${x.detail ? md` — ${x.detail}` : ''}`)));
  }
  if (net.length > 0) out.push(...finishMessages(md`podnet: sockets and dials in ${who}`, net));

  const time: Block[] = [];
  if (d.correlations.length > 0) time.push(...sections(md`*Correlations*`, d.correlations.map((c) => md`• ${c}`)));
  if (d.timeline.length > 0) {
    time.push(...sections(md`*Timeline* (UTC)`, d.timeline.map((e) => md`${`${hms(e.at)}  ${(e.container ?? '-').padEnd(10)} ${e.kind.padEnd(12)} ${e.what}`}`), { code: true }));
  }
  if (time.length > 0) out.push(...finishMessages(md`podnet: timeline of ${who}`, time));

  const rest: Block[] = [];
  if (d.steps.length > 0) {
    rest.push(...sections(md`*Steps*`, d.steps.map((s) => md`${s.ok ? ':white_check_mark:' : ':x:'} \`${s.name}\`${s.error ? md` — ${s.error}` : ''}`)));
  }
  if (d.ruledOut.length > 0) rest.push(...sections(md`*Ruled out*`, d.ruledOut.map((r) => md`• \`${r.cause}\`: ${r.why}`)));
  if (d.next.length > 0) rest.push(...sections(md`*Collect next*`, d.next.map((n) => md`• ${n}`)));
  if (rest.length > 0) out.push(...finishMessages(md`podnet: steps and ruled-out causes for ${who}`, rest));
  return out;
}

function hypothesisBlocks(h: Hypothesis, rank: number): Block[] {
  const blocks: Block[] = [
    section(md`*${rank + 1}. \`${h.cause}\`* — ${pct(h.confidence)}\n${h.summary}\n*Fix:* ${h.fix}`),
  ];
  if (h.remediation) blocks.push(...remediationBlocks(h.remediation));
  if (h.evidence.length > 0) blocks.push(...sections(md`*Evidence for*`, h.evidence.map((i) => md`• ${itemLine(i)}`)));
  if (h.against.length > 0) blocks.push(...sections(md`*Evidence against*`, h.against.map((i) => md`• ${itemLine(i)}`)));
  return blocks;
}

/** A remediation in the thread: headline, how the owner was found, who reverts it, the diff, the kubectl line. */
export function remediationBlocks(r: Remediation): Block[] {
  const blocks: Block[] = [section(md`*Remediation:* ${remediationHeadline(r)}\n_How the owner was found:_ ${r.why}${r.managedBy ? md`\n:warning: ${r.managedBy.note}` : ''}`)];
  const diff = remediationDiffLines(r);
  if (diff.length > 0) blocks.push(...sections(undefined, diff.map(esc), { code: true }));
  if (r.command) blocks.push(...sections(undefined, [esc(r.command)], { code: true }));
  return blocks;
}

/** The listener table: from the evidence when given, else from listener items quoted in hypotheses. */
function listenerRows(d: Diagnosis, evidence?: Evidence): string[] {
  if (evidence && evidence.sockets.length > 0) {
    const seen = new Set<string>();
    const rows = ['proto  local address             raw row'];
    for (const table of evidence.sockets) {
      for (const l of table.listeners) {
        const key = `${l.proto}|${l.address}|${l.port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const addr = l.proto === 'tcp6' ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
        rows.push(`${l.proto.padEnd(6)} ${addr.padEnd(25)} ${l.raw.trim()}`);
      }
    }
    return rows.length > 1 ? rows : ['(no sockets in LISTEN state)'];
  }
  const items = d.hypotheses.flatMap((h) => h.evidence).filter((i) => i.kind === 'listener');
  return [...new Set(items.map((i) => i.text))];
}

/** A progress message ("checking…", "collecting logs…") posted and updated while a job runs. */
export function renderSlackProgress(target: { namespace: string; pod: string }, status: string): SlackMessage {
  const line = md`:hourglass_flowing_sand: *podnet* \`${target.pod}\` in \`${target.namespace}\`: ${status}`;
  return finishMessages(md`podnet: ${target.pod} (${target.namespace}) — ${status}`, [section(line)])[0]!;
}
