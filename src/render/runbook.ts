/**
 * What a runbook posts, pure: `runbook list` and `runbook show`, the start of a run, each step's
 * outcome (a confirm with its Confirm / Decline buttons), what a step shows in the thread and the
 * run's last word. Runbook text and step output go through the mrkdwn escaping of ./slack-limits.ts.
 */
import type { RunState, StepOutcome } from '../runbooks/runner.js';
import { stepKind, type Runbook, type RunbookStep } from '../runbooks/schema.js';
import { actions as actionsBlock, button, context, escapeMrkdwn, finishMessages, header, inlineMrkdwn, joinMrkdwn, md, mention, section, sections, type SlackMessage } from './slack-limits.js';

/** The action ids of a runbook's Confirm / Decline buttons (handled by src/slack/app.ts); the value is the run id. */
export const RUNBOOK_ACTION_IDS = { confirm: 'podnet_runbook_confirm', decline: 'podnet_runbook_decline' } as const;

const ICON: Record<StepOutcome['status'], string> = {
  done: ':white_check_mark:',
  skipped: ':fast_forward:',
  failed: ':x:',
  'awaiting-confirm': ':raised_hand:',
  declined: ':no_entry_sign:',
};

/** Pure: one line describing a step (for `runbook show`). */
export function describeStep(step: RunbookStep, index: number): string {
  const kind = stepKind(step);
  const id = step.id ?? `${index + 1}-${kind}`;
  let what: string;
  if ('check' in step) what = `check${step.check.port ? ` port ${step.check.port}` : ''}`;
  else if ('logs' in step) what = `logs${step.logs.container ? ` of ${step.logs.container}` : ''}${step.logs.previous ? ' (previous run)' : ''}${step.logs.since ? ` since ${step.logs.since}` : ''}${step.logs.grep ? ` grep "${step.logs.grep}"` : ''}`;
  else if ('sweep' in step) what = `sweep the namespace${step.sweep.selector ? ` -l ${step.sweep.selector}` : ''}`;
  else if ('watch' in step) what = `watch every ${step.watch.every ?? '30s'} for ${step.watch.for ?? '30m'}`;
  else if ('wait' in step) what = `wait ${step.wait}`;
  else if ('post' in step) what = `post "${step.post.length > 80 ? `${step.post.slice(0, 77)}…` : step.post}"`;
  else what = `debug container ${step.debug.image}`;
  return `${index + 1}. \`${id}\` ${what}${step.when ? ` — when \`${step.when}\`` : ''}${step.confirm ? ` — asks first: "${step.confirm}"` : ''}`;
}

/** Pure: the `runbook list` message. */
export function renderRunbookList(runbooks: Map<string, Runbook>): SlackMessage[] {
  const lines = [...runbooks.values()].map((rb) => md`• *${rb.metadata.name}* — ${rb.metadata.description ?? '(no description)'} (${rb.steps.length} steps)`);
  return finishMessages(md`${runbooks.size} runbooks: ${[...runbooks.keys()].join(', ')}`, [
    header('Runbooks'),
    ...sections(undefined, lines.length ? lines : [md`No runbooks are loaded (PODNET_RUNBOOKS_DIR).`]),
    context(md`\`/podnet runbook show NAME\` · \`/podnet runbook run NAME POD -n NS\``),
  ]);
}

/** Pure: the `runbook show NAME` message. */
export function renderRunbookShow(rb: Runbook): SlackMessage[] {
  return finishMessages(md`Runbook ${rb.metadata.name}: ${rb.steps.length} steps`, [
    header(`Runbook: ${rb.metadata.name}`),
    ...(rb.metadata.description ? [section(escapeMrkdwn(rb.metadata.description))] : []),
    ...sections(undefined, rb.steps.map((s, i) => inlineMrkdwn(describeStep(s, i)))),
    context(md`\`/podnet runbook run ${rb.metadata.name} POD -n NS\``),
  ]);
}

/** Pure: the thread message of one step outcome; a confirm carries Confirm / Decline buttons. */
export function renderOutcome(runbook: string, outcome: StepOutcome, runId: string): SlackMessage {
  const line = md`${ICON[outcome.status]} *${runbook} ${outcome.index + 1}. ${outcome.id}* — ${outcome.detail}`;
  if (outcome.status !== 'awaiting-confirm') return finishMessages(md`${runbook} step ${outcome.index + 1} ${outcome.id}: ${outcome.status}: ${outcome.detail}`, [section(line)])[0]!;
  const intrusive = outcome.kind === 'debug';
  return finishMessages(md`${runbook} step ${outcome.index + 1} waits for confirmation: ${outcome.detail}`, [
    section(md`${ICON['awaiting-confirm']} *${runbook} ${outcome.index + 1}. ${outcome.id}* — ${outcome.detail}`),
    context(intrusive ? md`This step changes the pod (an ephemeral debug container): only users the channel policy allows intrusive actions may answer (Confirm or Decline).` : md`Anyone allowed in this channel may answer.`),
    actionsBlock([
      button('Confirm', RUNBOOK_ACTION_IDS.confirm, runId, { style: intrusive ? 'danger' : 'primary' }),
      button('Decline', RUNBOOK_ACTION_IDS.decline, runId),
    ]),
  ])[0]!;
}

/** The thread's answer when the runbooks could not be loaded. */
export function renderRunbooksLoadFailed(reason: string): SlackMessage[] {
  return finishMessages(md`Runbooks failed to load`, [section(md`:x: The runbooks could not be loaded: ${reason}`)]);
}

/** The answer to a runbook name that is not loaded. */
export function renderUnknownRunbook(name: string, known: readonly string[]): SlackMessage[] {
  const text = md`:warning: There is no runbook named \`${name}\`. Available: ${joinMrkdwn(known.map((n) => md`\`${n}\``), ', ').text || 'none'}.`;
  return finishMessages(text, [section(text)]);
}

/** The first message of a run: its thread holds every step. */
export function renderRunStart(runbook: Runbook, target: { pod: string; namespace: string }, user: string, runId: string): SlackMessage[] {
  const text = md`:arrow_forward: Running runbook *${runbook.metadata.name}* on ${target.pod} in ${target.namespace} for ${mention(user)} (${runbook.steps.length} steps).`;
  return finishMessages(text, [section(text), context(...(runbook.metadata.description ? [inlineMrkdwn(runbook.metadata.description)] : []), md`run \`${runId}\``)]);
}

/** The last message of a run: done (with the leading cause) or where it stopped. */
export function renderRunEnd(runbook: string, state: Pick<RunState, 'status' | 'outcomes' | 'target' | 'vars'>): SlackMessage[] {
  const counts = (s: StepOutcome['status']) => state.outcomes.filter((o) => o.status === s).length;
  const last = state.outcomes[state.outcomes.length - 1];
  const text =
    state.status === 'done'
      ? md`:checkered_flag: Runbook ${runbook} finished on ${state.target.pod}: ${counts('done')} steps done, ${counts('skipped')} skipped${counts('declined') ? `, ${counts('declined')} declined` : ''}.${state.vars.cause ? md` Leading cause: \`${state.vars.cause}\`.` : ''}`
      : md`:x: Runbook ${runbook} stopped at step ${(last?.index ?? 0) + 1} (${last?.id ?? ''}): ${last?.detail ?? 'failed'}. Later steps were not run.`;
  return finishMessages(text, [section(text)]);
}

/** A `logs:` step's `grep:` hits (the first 40), as code. */
export function renderGrepLines(pattern: string, count: number, lines: readonly { at?: string; text: string }[]): SlackMessage[] {
  return finishMessages(md`grep "${pattern}": ${count} lines`, sections(md`*grep "${pattern}"* (${count} lines)`, lines.slice(0, 40).map((l) => inlineMrkdwn(`${l.at ? `${l.at} ` : ''}${l.text}`)), { code: true }));
}

/** A `post:` step's text, line by line. */
export function renderPostStep(text: string): SlackMessage {
  return finishMessages(escapeMrkdwn(text), sections(undefined, text.split('\n').map((l) => inlineMrkdwn(l))))[0]!;
}

/** What a `watch:` step says when the worker cannot start watches itself. */
export function watchByHandText(target: { pod: string; namespace: string }, every: string, span: string): string {
  return `To watch ${target.pod}, run \`/podnet watch ${target.pod} -n ${target.namespace} --every ${every} --for ${span}\` (this worker has no watch jobs).`;
}

/** A `debug:` step's container and the listening sockets seen from it. */
export function renderDebugOutput(container: string, image: string, pod: string, lines: readonly string[]): SlackMessage[] {
  const text = `Debug container ${container} (${image}) attached to ${pod}. Listening sockets seen from it (\`netstat -ltn\`):`;
  return finishMessages(md`${text}`, [section(md`${text}`), ...sections(undefined, lines.length ? lines.map((l) => inlineMrkdwn(l)) : [md`(no output)`], { code: true })]);
}

/**
 * A Confirm / Decline answer: `text` for the thread, and `prompt`, the prompt turned into its
 * answer (no buttons left to press, and who answered shown).
 */
export function renderConfirmAnswer(step: string, confirmation: 'confirmed' | 'declined', user: string): { text: string; prompt: SlackMessage } {
  const who = confirmation === 'confirmed' ? 'Confirmed' : 'Declined';
  const text = `${who} by <@${user}>.`;
  const icon = confirmation === 'confirmed' ? ':white_check_mark:' : ':no_entry_sign:';
  const answered = `${icon} *${escapeMrkdwn(step)}* — ${text}`;
  return { text, prompt: { text: `${step}: ${text}`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: answered } }] } };
}
