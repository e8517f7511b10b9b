/**
 * What a watch posts, pure: the baseline message (kept up to date in place, with the Stop
 * button), a change message per run that saw a change, one flap message per episode, and the
 * final word when the watch ends. Times are passed in; nothing here reads a clock.
 */
import { actions, button, context, inlineMrkdwn, joinMrkdwn, md, mention, section, type Mrkdwn, type SlackMessage } from './slack-limits.js';
import type { WatchChange, WatchSnapshot } from '../watch/changes.js';
import type { WatchState } from '../watch/store.js';

/** The Stop button's action id (handled by src/slack/app.ts). */
export const WATCH_STOP_ACTION = 'podnet_watch_stop';

/** `30s`, `10m`, `1h30m`. */
export function formatInterval(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return s % 60 === 0 ? `${s / 60}m` : `${Math.floor(s / 60)}m${s % 60}s`;
  const m = Math.round(s / 60);
  return m % 60 === 0 ? `${m / 60}h` : `${Math.floor(m / 60)}h${m % 60}m`;
}

const pct = (n: number): string => `${Math.round(n * 100)}%`;

/** Escapes mrkdwn but keeps user mentions (`<@U123>`) working. */
const escapeKeepMentions = (text: string): Mrkdwn => {
  const parts = text.split(/<@([UW][A-Z0-9]+)>/);
  return joinMrkdwn(parts.map((p, i) => (i % 2 === 1 ? mention(p) : inlineMrkdwn(p))), '');
};

/** `probe-bind-mismatch (85%) · restarts: mlserver 3, agent 0 · dial agent->127.0.0.1:9500 connected` */
export function describeSnapshot(s: WatchSnapshot): Mrkdwn {
  const parts: string[] = [];
  const restarts = Object.entries(s.restarts);
  if (restarts.length) parts.push(`restarts: ${restarts.map(([c, n]) => `${c} ${n}`).join(', ')}`);
  const dials = Object.entries(s.dials);
  if (dials.length) parts.push(dials.map(([d, o]) => `dial ${d} ${o}`).join(', '));
  return md`*${s.cause}* (${pct(s.confidence)})${parts.length > 0 ? ` · ${parts.join(' · ')}` : ''}`;
}

function stopValue(state: Pick<WatchState, 'pod' | 'namespace'>): string {
  return `watch stop ${state.pod} -n ${state.namespace}`;
}

const HHMM = (ms: number): string => new Date(ms).toISOString().slice(11, 16);

/**
 * The baseline message. Re-rendered in place as the watch goes on (status line) and when it
 * ends (no Stop button, the reason instead).
 */
export function renderWatchBaseline(
  state: WatchState,
  baseline: WatchSnapshot,
  status: { runs: number; changes: number; latest?: WatchSnapshot; lastChangeAt?: string; ended?: string },
): SlackMessage {
  const head = `Watching ${state.pod} in ${state.namespace} every ${formatInterval(state.everyMs)} for ${formatInterval(state.endsAt - state.startedAt)}`;
  const text = inlineMrkdwn(`${head} — baseline: ${baseline.cause} (${pct(baseline.confidence)})`).text;
  const blocks: SlackMessage['blocks'] = [
    section(
      md`:eyes: *${head}* — I post in this thread only when the diagnosis changes.\n*Baseline* (${baseline.at}): ${describeSnapshot(baseline)}`,
    ),
  ];
  const latest = status.latest && status.changes > 0 ? md`Now: ${describeSnapshot(status.latest)} · last change at ${status.lastChangeAt ?? status.latest.at}` : undefined;
  if (latest) blocks.push(section(latest));
  if (status.ended) {
    blocks.push(context(md`${escapeKeepMentions(status.ended)} · ${status.runs} checks, ${status.changes} change${status.changes === 1 ? '' : 's'} posted`));
  } else {
    blocks.push(
      context(
        md`Started by ${mention(state.user)} · until ${HHMM(state.endsAt)} UTC or ${state.maxRuns} checks · ${status.runs} check${status.runs === 1 ? '' : 's'} so far, ${status.changes} change${status.changes === 1 ? '' : 's'}`,
      ),
    );
    blocks.push(actions([button('Stop watching', WATCH_STOP_ACTION, stopValue(state), { style: 'danger' })]));
  }
  return { text, blocks };
}

/** One message naming every change a run saw. */
export function renderWatchChanges(state: Pick<WatchState, 'pod' | 'namespace'>, changes: Pick<WatchChange, 'text'>[], now: WatchSnapshot): SlackMessage {
  const lines = changes.map((c) => md`• ${c.text}`);
  const text = inlineMrkdwn(`${state.pod}: ${changes.map((c) => c.text).join('; ')}`).text;
  return {
    text,
    blocks: [section(md`*${state.pod} changed* (at ${now.at}):\n${joinMrkdwn(lines, '\n')}`), context(md`Now: ${describeSnapshot(now)}`)],
  };
}

/** Once per flap episode. */
export function renderWatchFlap(state: Pick<WatchState, 'pod' | 'namespace'>, sentence: string): SlackMessage {
  const text = inlineMrkdwn(`Flapping: ${sentence}`).text;
  return {
    text,
    blocks: [
      section(md`:rotating_light: *Flapping* in ${state.pod}: ${sentence}.`),
      context(md`Each restart and what followed it are in the messages above; the leading cause says why it keeps happening.`),
    ],
  };
}

/** When checks start failing (once), and when they work again (as a change). */
export function renderWatchFailing(state: Pick<WatchState, 'pod' | 'namespace'>, reason: string): SlackMessage {
  const text = `Could not check ${state.pod} in ${state.namespace}: ${reason}. The watch keeps trying.`;
  return { text: inlineMrkdwn(text).text, blocks: [section(md`:warning: ${text}`)] };
}

/** The last message of a watch, in its thread. */
export function renderWatchEnd(state: WatchState, reason: string, runs: number, changes: number): SlackMessage {
  const text = `Stopped watching ${state.pod} in ${state.namespace}: ${reason} (${runs} checks, ${changes} change${changes === 1 ? '' : 's'} posted).`;
  return { text: escapeKeepMentions(text).text, blocks: [section(md`:white_check_mark: ${escapeKeepMentions(text)}`)] };
}

/** Why a watch ended, in words. */
export function endReasonText(state: WatchState, reason: string): string {
  switch (reason) {
    case 'stopped':
      return state.stoppedBy ? `stopped by <@${state.stoppedBy}>` : 'stopped';
    case 'time':
      return `--for ${formatInterval(state.endsAt - state.startedAt)} is up`;
    case 'count':
      return `reached ${state.maxRuns} checks`;
    case 'gone':
      return `the pod ${state.pod} no longer exists`;
    default:
      return reason;
  }
}
