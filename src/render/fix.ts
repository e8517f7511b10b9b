/**
 * The thread messages of *Apply fix*: the change applied (its diff), the verdict of the
 * verification (*Fixed — verified* with its evidence, or *Not fixed* with what still fails and
 * a *Roll back* button), the roll-back, and a refusal. Pure; cluster text is escaped.
 */
import type { VerifyCheck, VerifyResult } from '../remediation/verify.js';
import type { RemediationTarget } from '../remediation/types.js';
import { SLACK_ACTIONS } from './slack.js';
import { actions, button, buttonValue, context, escapeMrkdwn as esc, finishMessages, md, mention, section, sections, type Block, type SlackMessage } from './slack-limits.js';

/** `Server mlserver in financial-ml`. */
function targetText(t: RemediationTarget): string {
  return `${t.kind} ${t.name}${t.namespace ? ` in ${t.namespace}` : ''}`;
}

function diffBlocks(diff: readonly string[]): Block[] {
  return diff.length > 0 ? sections(undefined, diff.map((l) => esc(l)), { code: true }) : [];
}

/** Posted in the thread once the patch is applied: who, what object, the diff. */
export function renderFixApplied(t: RemediationTarget, diff: readonly string[], who: string, cause: string): SlackMessage {
  const blocks: Block[] = [section(md`:wrench: ${mention(who)} applied the fix for \`${cause}\` to *${targetText(t)}* (field manager podnet). Verifying…`), ...diffBlocks(diff)];
  return finishMessages(md`podnet applied the fix to ${targetText(t)}`, blocks)[0]!;
}

function checkLine(c: VerifyCheck): string {
  return `${c.ok ? '✓' : '✗'} ${c.at.slice(11, 19)} leading: ${c.leading}${c.restarts !== undefined ? ` · restarts ${c.restarts}` : ''}${c.ready !== undefined ? ` · ready ${c.ready}` : ''}${c.dial ? ` · ${c.dial}` : ''}${c.failing.length ? ` — ${c.failing.join('; ')}` : ''}`;
}

/**
 * The verdict: *Fixed — verified* and the checks that show it, or *Not fixed* with what still
 * fails and a *Roll back* button (intrusive: a confirm dialog, the press authorized again).
 */
export function renderFixVerdict(fixId: string, t: RemediationTarget, result: VerifyResult): SlackMessage {
  const head = result.verified ? md`:white_check_mark: *Fixed — verified.* ${result.summary.replace(/^Fixed — verified:\s*/, '')}` : md`:x: *Not fixed.* ${result.summary.replace(/^Not fixed\s*/, '')}`;
  const blocks: Block[] = [section(head), ...sections(md`*Checks*`, result.checks.slice(-8).map((c) => esc(checkLine(c))), { code: true })];
  if (!result.verified) {
    blocks.push(
      actions([
        button('Roll back', SLACK_ACTIONS.rollBack, buttonValue({ fix: fixId }), {
          style: 'danger',
          confirm: {
            title: { type: 'plain_text', text: 'Roll back the fix?' },
            text: { type: 'mrkdwn', text: md`This restores the previous values of *${targetText(t)}* (the fields the fix changed).`.text },
            confirm: { type: 'plain_text', text: 'Roll back' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        }),
      ]),
    );
  }
  return finishMessages(result.verified ? md`Fixed — verified: ${targetText(t)}` : md`Not fixed: ${targetText(t)}`, blocks)[0]!;
}

/** Posted after a roll-back: who, what object, the diff that restored it. */
export function renderRolledBack(t: RemediationTarget, diff: readonly string[], who: string): SlackMessage {
  return finishMessages(md`podnet rolled back ${targetText(t)}`, [section(md`:leftwards_arrow_with_hook: ${mention(who)} rolled back the fix: *${targetText(t)}* has its previous values again.`), ...diffBlocks(diff)])[0]!;
}

/** Nothing was applied (or rolled back), and why. */
export function renderFixRefused(what: string, reason: string): SlackMessage {
  return finishMessages(md`podnet: ${what}: ${reason}`, [section(md`:warning: *${what}.* ${reason}`), context(md`Nothing was changed in the cluster.`)])[0]!;
}
