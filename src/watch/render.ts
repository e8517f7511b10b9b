/**
 * What a watch posts, pure: the baseline message (kept up to date in place, with the Stop
 * button), a change message per run that saw a change, one flap message per episode, and the
 * final word when the watch ends. Times are passed in; nothing here reads a clock.
 */
import { actions, button, context, escapeMrkdwn, section, type SlackMessage } from '../render/slack-limits.js';
import type { WatchChange, WatchSnapshot } from './changes.js';
import type { WatchState } from './store.js';

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
const escapeKeepMentions = (text: string): string => escapeMrkdwn(text).replace(/&lt;@(\w+)&gt;/g, '<@$1>');

/** `probe-bind-mismatch (85%) · restarts: mlserver 3, agent 0 · dial agent->127.0.0.1:9500 connected` */
export function describeSnapshot(s: WatchSnapshot): string {
  const parts = [`*${s.cause}* (${pct(s.confidence)})`];
  const restarts = Object.entries(s.restarts);
  if (restarts.length) parts.push(`restarts: ${restarts.map(([c, n]) => `${c} ${n}`).join(', ')}`);
  const dials = Object.entries(s.dials);
  if (dials.length) parts.push(dials.map(([d, o]) => `dial ${d} ${o}`).join(', '));
  return escapeMrkdwn(parts.join(' · '));
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
  const text = `${head} — baseline: ${baseline.cause} (${pct(baseline.confidence)})`;
  const blocks: SlackMessage['blocks'] = [
    section(
      `:eyes: *${escapeMrkdwn(head)}* — I post in this thread only when the diagnosis changes.\n` +
        `*Baseline* (${baseline.at}): ${describeSnapshot(baseline)}`,
    ),
  ];
  const latest = status.latest && status.changes > 0 ? `Now: ${describeSnapshot(status.latest)} · last change at ${status.lastChangeAt ?? status.latest.at}` : undefined;
  if (latest) blocks.push(section(latest));
  if (status.ended) {
    blocks.push(context(`${escapeKeepMentions(status.ended)} · ${status.runs} checks, ${status.changes} change${status.changes === 1 ? '' : 's'} posted`));
  } else {
    blocks.push(
      context(
        `Started by <@${state.user}> · until ${HHMM(state.endsAt)} UTC or ${state.maxRuns} checks · ${status.runs} check${status.runs === 1 ? '' : 's'} so far, ${status.changes} change${status.changes === 1 ? '' : 's'}`,
      ),
    );
    blocks.push(actions([button('Stop watching', WATCH_STOP_ACTION, stopValue(state), { style: 'danger' })]));
  }
  return { text, blocks };
}

/** One message naming every change a run saw. */
export function renderWatchChanges(state: Pick<WatchState, 'pod' | 'namespace'>, changes: Pick<WatchChange, 'text'>[], now: WatchSnapshot): SlackMessage {
  const lines = changes.map((c) => `• ${escapeMrkdwn(c.text)}`);
  const text = `${state.pod}: ${changes.map((c) => c.text).join('; ')}`;
  return {
    text,
    blocks: [section(`*${escapeMrkdwn(state.pod)} changed* (at ${now.at}):\n${lines.join('\n')}`), context(`Now: ${describeSnapshot(now)}`)],
  };
}

/** Once per flap episode. */
export function renderWatchFlap(state: Pick<WatchState, 'pod' | 'namespace'>, sentence: string): SlackMessage {
  const text = `Flapping: ${sentence}`;
  return {
    text,
    blocks: [
      section(`:rotating_light: *Flapping* in ${escapeMrkdwn(state.pod)}: ${escapeMrkdwn(sentence)}.`),
      context('Each restart and what followed it are in the messages above; the leading cause says why it keeps happening.'),
    ],
  };
}

/** When checks start failing (once), and when they work again (as a change). */
export function renderWatchFailing(state: Pick<WatchState, 'pod' | 'namespace'>, reason: string): SlackMessage {
  const text = `Could not check ${state.pod} in ${state.namespace}: ${reason}. The watch keeps trying.`;
  return { text, blocks: [section(`:warning: ${escapeMrkdwn(text)}`)] };
}

/** The last message of a watch, in its thread. */
export function renderWatchEnd(state: WatchState, reason: string, runs: number, changes: number): SlackMessage {
  const text = `Stopped watching ${state.pod} in ${state.namespace}: ${reason} (${runs} checks, ${changes} change${changes === 1 ? '' : 's'} posted).`;
  return { text, blocks: [section(`:white_check_mark: ${escapeKeepMentions(text)}`)] };
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
