/**
 * The incident timeline as a chart: one lane per container (its runs, starts, restarts,
 * terminations with reason and exit code, when it logged that it listens and that it is
 * ready), a kubelet lane (probe failures, kills, back-offs), the client's refusals, podnet's
 * own dials, the leading cause's key evidence ringed and each refusal tied to the server
 * stop or start it followed.
 *
 * Two pure steps: {@link timelineChartModel} turns a diagnosis and its evidence into plain
 * data (lanes, spans, marks, links — the times are the cluster's, from the evidence, never
 * the wall clock), and {@link timelineChartSpec} turns that into a Vega-Lite spec, which
 * {@link renderTimelineSvg} compiles and draws to SVG with Vega's headless renderer
 * (`renderer: 'none'` + `view.toSVG()`: no browser, no canvas). chart-png.ts rasterizes it.
 * Vega-Lite: https://vega.github.io/vega-lite/docs/ ; headless export:
 * https://vega.github.io/vega/usage/#view-export (View.toSVG).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { correlationLinks } from '../analysis/timeline.js';
import { factsOf, oneLine } from '../analysis/facts.js';
import type { Diagnosis, EvidenceItem } from '../analysis/types.js';
import type { ContainerEvidence, EventEvidence, Evidence } from '../evidence.js';
import { DEJAVU_SANS_BOLD_WIDTHS, DEJAVU_SANS_WIDTHS } from './chart-font-metrics.js';
import { pct } from './format.js';

/**
 * Okabe–Ito colour-blind-safe palette (M. Okabe & K. Ito, "Color Universal Design", 2008,
 * https://jfly.uni-koeln.de/color/ ; recommended in B. Wong, "Points of view: Color blindness",
 * Nature Methods 8, 441 (2011)). Every kind also differs in shape, so nothing relies on hue.
 */
export const OKABE_ITO = {
  black: '#000000',
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  bluishGreen: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  reddishPurple: '#CC79A7',
} as const;

/** The font the chart is drawn in; chart-png.ts loads this exact file into the rasterizer. */
export const CHART_FONT_FAMILY = 'DejaVu Sans';

/** What a point on the chart is. */
export type MarkKind =
  | 'started'
  | 'restarted'
  | 'terminated'
  | 'oom-killed'
  | 'waiting'
  | 'listening'
  | 'ready'
  | 'probe-failed'
  | 'killed'
  | 'back-off'
  | 'refused'
  | 'dial-connected'
  | 'dial-failed';

/** Legend text, colour and shape of each kind, in legend order. */
export const MARK_STYLE: Record<MarkKind, { legend: string; color: string; shape: string }> = {
  started: { legend: 'container started', color: OKABE_ITO.blue, shape: 'triangle-right' },
  restarted: { legend: 'container restarted', color: OKABE_ITO.blue, shape: 'diamond' },
  listening: { legend: 'logged: listening on', color: OKABE_ITO.bluishGreen, shape: 'square' },
  ready: { legend: 'logged: ready', color: OKABE_ITO.bluishGreen, shape: 'circle' },
  terminated: { legend: 'terminated (reason, exit code)', color: OKABE_ITO.black, shape: 'square' },
  'oom-killed': { legend: 'OOM-killed', color: OKABE_ITO.reddishPurple, shape: 'square' },
  waiting: { legend: 'waiting (e.g. back-off)', color: OKABE_ITO.reddishPurple, shape: 'circle' },
  'probe-failed': { legend: 'probe failed (kubelet)', color: OKABE_ITO.orange, shape: 'triangle-down' },
  killed: { legend: 'killed by kubelet', color: OKABE_ITO.vermillion, shape: 'cross' },
  'back-off': { legend: 'back-off (kubelet)', color: OKABE_ITO.reddishPurple, shape: 'triangle-down' },
  refused: { legend: 'client refused (its log)', color: OKABE_ITO.vermillion, shape: 'triangle-up' },
  'dial-connected': { legend: 'podnet dial: connected', color: OKABE_ITO.bluishGreen, shape: 'triangle-up' },
  'dial-failed': { legend: 'podnet dial: refused / failed', color: OKABE_ITO.vermillion, shape: 'triangle-down' },
};

export type SpanKind = 'running' | 'probe-failing';

const SPAN_STYLE: Record<SpanKind, { legend: string; color: string }> = {
  running: { legend: 'container running', color: OKABE_ITO.skyBlue },
  'probe-failing': { legend: 'probe failing (first…last event)', color: OKABE_ITO.orange },
};

export interface ChartLane {
  id: string;
  label: string;
}

export interface ChartSpan {
  lane: string;
  kind: SpanKind;
  /** Epoch milliseconds (cluster clock). */
  from: number;
  to: number;
  key: boolean;
}

export interface ChartMark {
  lane: string;
  kind: MarkKind;
  at: number;
  /** Short label drawn beside the mark, when there is room. */
  label?: string;
  /** Part of the leading cause's evidence: drawn with a ring. */
  key: boolean;
  /** Pixel offset within the lane, for marks that share a time (podnet's dials). */
  dy?: number;
}

export interface ChartLink {
  /** The refusal. */
  fromLane: string;
  from: number;
  /** The server stop or start it followed. */
  toLane: string;
  to: number;
  label: string;
}

/** A label placed by {@link placeLabels}: side and row chosen so labels do not overlap. */
export interface ChartLabel {
  lane: string;
  at: number;
  text: string;
  align: 'left' | 'right';
  dy: number;
}

/** Everything the chart shows, as plain data (JSON-serialisable). */
export interface TimelineChartModel {
  title: string;
  subtitle: string[];
  lanes: ChartLane[];
  spans: ChartSpan[];
  marks: ChartMark[];
  links: ChartLink[];
  /** Epoch ms; the visible time range. */
  domain: { from: number; to: number };
  /** The UTC date of the range, for the axis title. */
  day: string;
  /** Said under the chart (what was clipped, what has no time). */
  notes: string[];
}

export interface TimelineChartOptions {
  /** Only this window (ISO times), e.g. a flap episode; default: all the evidence's times. */
  window?: { from?: string; to?: string };
  /** Longest range shown before the start is cut (default 15 min; the latest part is kept). */
  maxRangeMs?: number;
  /** Chart width in px (default 960); the PNG may be scaled from it. */
  width?: number;
}

/** Lane id of the kubelet and of podnet's dials (container names are DNS labels: no spaces). */
const KUBELET = 'kubelet';
const PODNET = 'podnet dials';
const DEFAULT_MAX_RANGE_MS = 15 * 60_000;
const LANE_HEIGHT = 54;
const FONT_SIZE = 14;

const t = (at: string | undefined): number => (at ? Date.parse(at) : Number.NaN);
const ok = (n: number): boolean => Number.isFinite(n);

/** `exit 137 · OOMKilled` */
function exitLabel(s: { exitCode?: number; reason?: string; signal?: number }): string {
  const parts = [s.exitCode !== undefined ? `exit ${s.exitCode}` : undefined, s.reason, s.signal !== undefined ? `signal ${s.signal}` : undefined];
  return parts.filter(Boolean).join(' · ') || 'terminated';
}

function containerMarks(c: ContainerEvidence, end: number): { spans: ChartSpan[]; marks: ChartMark[] } {
  const spans: ChartSpan[] = [];
  const marks: ChartMark[] = [];
  const st = c.status;
  if (!st) return { spans, marks };
  const lane = c.name;
  const ls = st.lastState;
  if (ls?.startedAt && ok(t(ls.startedAt))) {
    marks.push({ lane, kind: 'started', at: t(ls.startedAt), key: false });
    if (ls.finishedAt && ok(t(ls.finishedAt))) spans.push({ lane, kind: 'running', from: t(ls.startedAt), to: t(ls.finishedAt), key: false });
  }
  if (ls?.finishedAt && ok(t(ls.finishedAt))) {
    marks.push({ lane, kind: ls.reason === 'OOMKilled' ? 'oom-killed' : 'terminated', at: t(ls.finishedAt), label: exitLabel(ls), key: false });
  }
  const s = st.state;
  if (s.startedAt && ok(t(s.startedAt))) {
    const restarted = st.restartCount > 0;
    marks.push({ lane, kind: restarted ? 'restarted' : 'started', at: t(s.startedAt), ...(restarted && { label: `restart #${st.restartCount}` }), key: false });
    const to = s.state === 'terminated' && s.finishedAt ? t(s.finishedAt) : end;
    if (ok(to)) spans.push({ lane, kind: 'running', from: t(s.startedAt), to, key: false });
  }
  if (s.state === 'terminated' && s.finishedAt && ok(t(s.finishedAt))) {
    marks.push({ lane, kind: s.reason === 'OOMKilled' ? 'oom-killed' : 'terminated', at: t(s.finishedAt), label: exitLabel(s), key: false });
  }
  if (s.state === 'waiting') marks.push({ lane, kind: 'waiting', at: end, label: `waiting: ${s.reason ?? 'unknown reason'}`, key: false });
  return { spans, marks };
}

/** kubelet's probe failures, kills and back-offs, from the pod's events. */
function kubeletMarks(events: EventEvidence[]): { spans: ChartSpan[]; marks: ChartMark[] } {
  const spans: ChartSpan[] = [];
  const marks: ChartMark[] = [];
  for (const e of events) {
    const at = t(e.at);
    if (!ok(at)) continue;
    const who = e.container ? `${e.container}: ` : '';
    if (e.reason === 'Unhealthy') {
      // "Startup probe failed: …" → "startup probe failed ×13"
      const probe = /^(\w+) probe/i.exec(e.message)?.[1]?.toLowerCase() ?? 'a';
      const label = `${who}${probe} probe failed${e.count > 1 ? ` ×${e.count}` : ''}`;
      const first = t(e.firstAt);
      if (e.count > 1 && ok(first) && first < at) {
        spans.push({ lane: KUBELET, kind: 'probe-failing', from: first, to: at, key: false });
        marks.push({ lane: KUBELET, kind: 'probe-failed', at: first, key: false });
      }
      marks.push({ lane: KUBELET, kind: 'probe-failed', at, label, key: false });
    } else if (e.reason === 'Killing') {
      const probe = /(startup|liveness|readiness) probe/i.exec(e.message)?.[1]?.toLowerCase();
      marks.push({ lane: KUBELET, kind: 'killed', at, label: `${who}killed${probe ? ` (${probe} probe)` : ''}`, key: false });
    } else if (e.reason === 'BackOff') {
      marks.push({ lane: KUBELET, kind: 'back-off', at, label: `${who}back-off${e.count > 1 ? ` ×${e.count}` : ''}`, key: false });
    }
  }
  return { spans, marks };
}

/**
 * Listening lines close together (HTTP, gRPC, metrics within seconds) become one mark:
 * "listens 127.0.0.1: 9000, 9500, 8082" — the address is the point of most incidents.
 */
function listeningMarks(ev: Evidence, container: string): ChartMark[] {
  const f = factsOf(ev);
  const lines = f.matches
    .filter((m) => m.container === container && (m.signature === 'server-http-running' || m.signature === 'server-grpc-running') && ok(t(m.at)))
    .map((m) => ({ at: t(m.at), host: m.groups?.host, port: m.groups?.port }))
    .sort((a, b) => a.at - b.at);
  const groups: { at: number; last: number; ats: number[]; byHost: Map<string, string[]> }[] = [];
  for (const l of lines) {
    let g = groups.at(-1);
    if (!g || l.at - g.last > 15_000) {
      g = { at: l.at, last: l.at, ats: [], byHost: new Map() };
      groups.push(g);
    }
    g.last = l.at;
    g.ats.push(l.at);
    const host = l.host ?? '?';
    const ports = g.byHost.get(host) ?? [];
    if (l.port && !ports.includes(l.port)) ports.push(l.port);
    g.byHost.set(host, ports);
  }
  return groups.map((g) => ({
    lane: container,
    kind: 'listening' as const,
    at: g.at,
    label: `listens ${[...g.byHost].map(([h, ps]) => `${h.includes(':') ? `[${h}]` : h}:${ps.join(',')}`).join(' ')}`,
    key: false,
    members: g.ats,
  })).map(({ members, ...m }) => Object.assign(m, { members }));
}

/** Log lines saying a container is ready (Seldon agent ready, model loaded). */
function readyMarks(ev: Evidence): ChartMark[] {
  const f = factsOf(ev);
  const seen = new Set<string>();
  const out: ChartMark[] = [];
  for (const m of f.matches) {
    if (m.signature !== 'agent-ready' && m.signature !== 'model-loaded') continue;
    const at = t(m.at);
    const id = `${m.container}|${at}`;
    if (!ok(at) || seen.has(id)) continue;
    seen.add(id);
    out.push({ lane: m.container, kind: 'ready', at, label: m.signature === 'model-loaded' ? `model loaded` : 'ready', key: false });
  }
  return out;
}

/** The client's refusals from its logs, one mark per line. */
function refusalMarks(ev: Evidence): ChartMark[] {
  const seen = new Set<string>();
  const out: ChartMark[] = [];
  for (const r of factsOf(ev).refusals) {
    if (r.source !== 'log') continue;
    const at = t(r.at);
    const id = `${r.container}|${at}`;
    if (!ok(at) || seen.has(id)) continue;
    seen.add(id);
    out.push({ lane: r.container, kind: 'refused', at, key: false, label: r.timeout ? 'timed out' : 'refused' });
  }
  return out;
}

/** podnet's own dials, at collection time on the cluster's clock, one row each. */
function dialMarks(ev: Evidence): ChartMark[] {
  const at = t(ev.clusterNow ?? ev.collectedAt);
  if (!ok(at)) return [];
  const n = ev.dials.length;
  return ev.dials.map((d, i) => ({
    lane: PODNET,
    kind: d.outcome === 'connected' ? ('dial-connected' as const) : ('dial-failed' as const),
    at,
    label: `${d.from} → ${d.host.includes(':') ? `[${d.host}]` : d.host}:${d.port} ${d.outcome}`,
    key: false,
    dy: n <= 1 ? 0 : Math.round(-((LANE_HEIGHT - 18) / 2) + (i * (LANE_HEIGHT - 18)) / (n - 1)),
  }));
}

/** Evidence of the top hypothesis that has a time, matched to the marks drawn for it. */
function markKey(items: EvidenceItem[], marks: (ChartMark & { members?: number[] })[], spans: ChartSpan[], ev: Evidence): void {
  const timed = items.filter((i) => ok(t(i.at)));
  const kindsOf: Record<EvidenceItem['kind'], MarkKind[]> = {
    log: ['refused', 'listening', 'ready'],
    status: ['started', 'restarted', 'terminated', 'oom-killed', 'waiting'],
    event: ['probe-failed', 'killed', 'back-off', 'oom-killed'],
    dial: [],
    listener: [],
    netns: [],
    spec: [],
    policy: [],
    node: [],
    note: [],
  };
  for (const i of timed) {
    const at = t(i.at);
    for (const m of marks) {
      const times = m.members ?? [m.at];
      if (kindsOf[i.kind].includes(m.kind) && times.includes(at)) m.key = true;
    }
    if (i.kind === 'event') for (const s of spans) if (s.kind === 'probe-failing' && s.to === at) s.key = true;
  }
  // Dials carry no time: match by "dial HOST:PORT from C".
  for (const i of items.filter((x) => x.kind === 'dial')) {
    ev.dials.forEach((d, idx) => {
      if (i.text.startsWith(`dial ${d.host.includes(':') ? `[${d.host}]` : d.host}:${d.port} from ${d.from}`) || i.text.startsWith(`dial ${d.host}:${d.port} from ${d.from}`)) {
        const m = marks.filter((x) => x.lane === PODNET)[idx];
        if (m) m.key = true;
      }
    });
  }
}

/** `LISTEN tcp 127.0.0.1:9000  (row: …)` → `LISTEN tcp 127.0.0.1:9000`. */
function shortEvidence(i: EvidenceItem): string {
  // Drop a trailing "(row: …)" or "(period 5s × 3 failures)": the chart has no room for detail.
  let text = i.text;
  const row = text.indexOf(' (row: ');
  if (row > 0) text = text.slice(0, row);
  else if (text.endsWith(')') && text.lastIndexOf(' (') > 0) text = text.slice(0, text.lastIndexOf(' ('));
  return oneLine(text, 110) + (i.source ? ` (${i.source})` : '');
}

/** Pure: what the chart of `diagnosis` (made from `evidence`) shows. */
export function timelineChartModel(diagnosis: Diagnosis, evidence: Evidence, options: TimelineChartOptions = {}): TimelineChartModel {
  const f = factsOf(evidence);
  // The cluster's clock: the scenario's `now` on the simulator, else when collection finished.
  const now = t(evidence.clusterNow ?? evidence.collectedAt);
  const containers = evidence.pod ? [...evidence.pod.initContainers, ...evidence.pod.containers, ...evidence.pod.ephemeralContainers] : [];
  const spans: ChartSpan[] = [];
  const marks: (ChartMark & { members?: number[] })[] = [];
  for (const c of containers) {
    const cm = containerMarks(c, now);
    spans.push(...cm.spans);
    marks.push(...cm.marks, ...listeningMarks(evidence, c.name));
  }
  const km = kubeletMarks([...evidence.events, ...evidence.nodeEvents]);
  spans.push(...km.spans);
  marks.push(...km.marks, ...readyMarks(evidence), ...refusalMarks(evidence), ...dialMarks(evidence));

  const top = diagnosis.hypotheses[0];
  if (top) markKey(top.evidence, marks, spans, evidence);

  // Range: the trouble (terminations, kills, probe failures, back-offs, refusals) up to the
  // cluster's "now", with a lead-in half as long (at least a minute) for what came just
  // before (the start a refusal followed, the listening line). Runs that began earlier enter
  // from the left edge: a sidecar up for days must not squeeze the minute that matters.
  const links0 = correlationLinks(evidence);
  const TROUBLE: MarkKind[] = ['terminated', 'oom-killed', 'waiting', 'probe-failed', 'killed', 'back-off', 'refused', 'dial-failed'];
  const all = marks.map((m) => m.at).filter(ok);
  // The first of a series of probe failures (×N since …) may be long ago; the series' bar shows it.
  const seriesStart = (m: ChartMark) => m.kind === 'probe-failed' && spans.some((s) => s.kind === 'probe-failing' && s.from === m.at && s.to > m.at);
  const trouble = [...marks.filter((m) => TROUBLE.includes(m.kind) && !seriesStart(m)).map((m) => m.at), ...links0.map((l) => t(l.anchor.at))].filter(ok);
  const notes: string[] = [];
  let to = Math.max(...all, ok(now) ? now : Number.NEGATIVE_INFINITY);
  let from = Math.min(...all);
  if (trouble.length > 0) {
    const first = Math.min(...trouble);
    from = Math.max(from, first - Math.max(60_000, (to - first) / 2));
  }
  if (!ok(from) || !ok(to)) from = to = ok(now) ? now : 0;
  // Checked long after the last event (a quiet pod, or a simulated cluster whose events are
  // older than the worker's clock): end at the events, and say when the check was.
  const events = marks.filter((m) => m.lane !== PODNET && m.kind !== 'waiting').map((m) => m.at).filter(ok);
  const lastEvent = Math.max(...events);
  if (ok(now) && ok(lastEvent) && now - lastEvent > (options.maxRangeMs ?? DEFAULT_MAX_RANGE_MS) / 2) {
    to = lastEvent;
    from = Math.min(from, to);
    notes.push(`Checked at ${iso(now).slice(0, 19).replace('T', ' ')} UTC, long after the last event shown; podnet's own dials are not drawn.`);
  }
  const maxRange = options.maxRangeMs ?? DEFAULT_MAX_RANGE_MS;
  if (options.window?.to && ok(t(options.window.to))) to = t(options.window.to);
  if (options.window?.from && ok(t(options.window.from))) from = Math.max(from, t(options.window.from));
  if (to - from > maxRange) {
    from = to - maxRange;
    notes.push(`Earlier events not shown: the chart covers the last ${Math.round(maxRange / 60_000)} min.`);
  } else if (options.window?.from) {
    notes.push(`From ${iso(from).slice(11, 19)} (the episode's window).`);
  }
  if (spans.some((s) => s.from < from) || marks.some((m) => m.at < from)) {
    notes.push(`Bars at the left edge began before ${iso(from).slice(11, 19)}.`);
  }
  const pad = Math.max(2000, (to - from) * 0.03);
  const domain = { from: from - pad, to: to + pad };
  const inRange = (x: number) => x >= domain.from && x <= domain.to;

  const visibleMarks = marks.filter((m) => inRange(m.at)).map(({ members: _m, ...m }) => m);
  const visibleSpans = spans
    .filter((s) => s.to >= domain.from && s.from <= domain.to)
    .map((s) => ({ ...s, from: Math.max(s.from, domain.from), to: Math.min(s.to, domain.to) }));

  const lanesUsed = new Set([...visibleMarks.map((m) => m.lane), ...visibleSpans.map((s) => s.lane)]);
  const roles = new Map<string, string>();
  if (f.server) roles.set(f.server.name, 'server');
  if (f.client) roles.set(f.client.name, 'client');
  const lanes: ChartLane[] = [];
  if (lanesUsed.has(KUBELET)) lanes.push({ id: KUBELET, label: 'kubelet' });
  for (const c of containers) {
    const restarts = c.status?.restartCount ?? 0;
    const role = roles.get(c.name);
    lanes.push({ id: c.name, label: `${c.name}${role ? ` (${role})` : ''}${restarts > 0 ? ` ↻${restarts}` : ''}` });
    // Only the last two runs are in the pod status: say so when there were more.
    if (restarts > 1) notes.push(`${c.name} restarted ${restarts} times; the pod status keeps only its last two runs, so earlier runs are not drawn.`);
  }
  if (lanesUsed.has(PODNET)) lanes.push({ id: PODNET, label: 'podnet dials' });
  // Marks on lanes no container has (e.g. a log of a container no longer in the spec).
  for (const id of lanesUsed) if (!lanes.some((l) => l.id === id)) lanes.push({ id, label: id });

  const links: ChartLink[] = links0
    .map((l) => ({ fromLane: l.container, from: t(l.at), toLane: l.anchor.container, to: t(l.anchor.at), kind: l.kind }))
    .filter((l) => ok(l.from) && ok(l.to) && inRange(l.from) && inRange(l.to))
    .map((l) => ({ fromLane: l.fromLane, from: l.from, toLane: l.toLane, to: l.to, label: `${Math.round((l.from - l.to) / 1000)} s after ${l.kind === 'after-stop' ? 'stop' : 'start'}` }));
  // The delay is what the link means: say it on the refusal itself.
  for (const l of links) {
    const m = visibleMarks.find((x) => x.kind === 'refused' && x.lane === l.fromLane && x.at === l.from);
    if (m) m.label = `${m.label ?? 'refused'} ${l.label}`;
  }

  const t0 = diagnosis.target;
  const title = top ? `${t0.pod} in ${t0.namespace}: ${top.cause} (${pct(top.confidence)})` : `${t0.pod} in ${t0.namespace}`;
  const subtitle: string[] = [];
  if (top) subtitle.push(top.summary);
  const timeless = top ? pickTimeless(top.evidence) : [];
  if (timeless.length > 0) subtitle.push(`Key evidence is ringed; also: ${timeless.map(shortEvidence).join(' · ')}`);
  else if (top) subtitle.push('Key evidence of this cause is ringed.');

  return { title, subtitle, lanes, spans: visibleSpans, marks: visibleMarks, links, domain, day: iso(domain.to).slice(0, 10), notes };
}

/** Up to two timeless evidence items of different kinds (a socket row, an env var, a probe spec). */
function pickTimeless(items: EvidenceItem[]): EvidenceItem[] {
  const out: EvidenceItem[] = [];
  for (const i of items) {
    if (i.at || i.kind === 'dial' || i.kind === 'note') continue;
    if (out.some((o) => o.kind === i.kind)) continue;
    out.push(i);
    if (out.length === 2) break;
  }
  return out;
}

function iso(ms: number): string {
  return ok(ms) ? new Date(ms).toISOString() : '';
}

/** Greedy word wrap to `maxPx` pixels in the chart font, at most `lines` lines (the last cut with …). */
export function wrapText(text: string, maxPx: number, lines: number, fontSize = FONT_SIZE): string[] {
  const out: string[] = [];
  let cur = '';
  for (const w of text.replace(/\s+/g, ' ').trim().split(' ')) {
    const next = cur ? `${cur} ${w}` : w;
    if (cur && textWidth(next, fontSize) > maxPx) {
      out.push(cur);
      cur = w;
    } else cur = next;
  }
  if (cur) out.push(cur);
  if (out.length <= lines) return out;
  const kept = out.slice(0, lines);
  let last = `${kept[lines - 1]} …`;
  while (textWidth(last, fontSize) > maxPx && last.length > 2) last = `${last.slice(0, -3)} …`;
  kept[lines - 1] = last;
  return kept;
}

/** Width in px of `text` in the chart font, from its advance widths (unknown characters: 1 em). */
export function textWidth(text: string, fontSize: number, bold = false): number {
  const table = bold ? DEJAVU_SANS_BOLD_WIDTHS : DEJAVU_SANS_WIDTHS;
  let em = 0;
  for (const ch of text) em += table[ch] ?? 1;
  return em * fontSize;
}

function labelWidth(text: string, fontSize: number, bold = false): number {
  return textWidth(text, fontSize, bold) + 6;
}

/**
 * Vega measures text for layout (legend columns, axis offsets, title wrapping) with a canvas
 * when there is one, else with a 0.8-em-per-character guess. We draw with the bundled font
 * only, so we give Vega that font's real widths; vl-convert (Vega's own headless exporter)
 * replaces `textMetrics.width` the same way (vega-scenegraph src/util/text.js, widthGetter).
 */
function useChartFontMetrics(): void {
  const metrics = (vega as unknown as { textMetrics: { width: (item: { fontSize?: number; fontWeight?: string | number }, text: unknown) => number } }).textMetrics;
  metrics.width = (item, text) => {
    const s = text == null ? '' : String(text).trim();
    const bold = item.fontWeight === 'bold' || Number(item.fontWeight) >= 600;
    return textWidth(s, item.fontSize != null ? Number(item.fontSize) || 0 : 11, bold);
  };
}

/**
 * Places mark labels so that none overlaps another in its lane: each label goes after its
 * mark above the bar, else after it below, else before it above, else before it below (a
 * termination tries before first); a label with no
 * room is left out (its mark and the legend still say what it is). Vega-Lite has no label
 * collision avoidance of its own; Vega's `label` transform needs a canvas to avoid marks.
 */
export function placeLabels(model: TimelineChartModel, plotWidth: number, fontSize = FONT_SIZE): ChartLabel[] {
  const span = model.domain.to - model.domain.from || 1;
  const x = (at: number) => ((at - model.domain.from) / span) * plotWidth;
  const rowDy = Math.round(LANE_HEIGHT / 2 - fontSize / 2 - 2);
  const placed: { lane: string; dy: number; x0: number; x1: number }[] = [];
  const out: ChartLabel[] = [];
  // Key evidence first, then the rest in time order: the labels that matter get the room.
  const order = model.marks
    .map((m, i) => ({ m, i }))
    .filter(({ m }) => m.label)
    .sort((a, b) => Number(b.m.key) - Number(a.m.key) || a.m.at - b.m.at || a.i - b.i);
  for (const { m } of order) {
    const text = m.label!;
    const w = labelWidth(text, fontSize);
    const px = x(m.at);
    const rows = m.dy !== undefined && m.dy !== 0 ? [m.dy] : [-rowDy, rowDy];
    const tries: { align: 'left' | 'right'; dy: number; x0: number; x1: number }[] = [];
    // An end (termination, waiting) reads best before its mark; everything else after it.
    const sides = m.kind === 'terminated' || m.kind === 'oom-killed' ? (['right', 'left'] as const) : (['left', 'right'] as const);
    for (const align of sides) {
      for (const dy of rows) {
        const x0 = align === 'left' ? px + 6 : px - 6 - w;
        tries.push({ align, dy, x0, x1: x0 + w });
      }
    }
    const fit = tries.find((c) => c.x0 >= -4 && c.x1 <= plotWidth + 4 && !placed.some((p) => p.lane === m.lane && p.dy === c.dy && p.x0 < c.x1 && c.x0 < p.x1));
    if (!fit) continue;
    placed.push({ lane: m.lane, dy: fit.dy, x0: fit.x0, x1: fit.x1 });
    out.push({ lane: m.lane, at: m.at, text, align: fit.align, dy: fit.dy });
  }
  return out;
}

/** Pure: the Vega-Lite spec of a timeline chart model. */
export function timelineChartSpec(model: TimelineChartModel, options: TimelineChartOptions = {}): TopLevelSpec {
  const width = options.width ?? 960;
  // Lane labels on the left take ~0.6 em per character; the plot gets the rest.
  const axisWidth = Math.max(...model.lanes.map((l) => labelWidth(l.label, FONT_SIZE + 1, true)), 60) + 8;
  const plotWidth = Math.round(width - axisWidth - 28);
  const labels = placeLabels(model, plotWidth);
  const laneOrder = model.lanes.map((l) => l.id);
  // A yOffset replaces Vega-Lite's band centring, so offsets are from the band's top.
  const mid = LANE_HEIGHT / 2;
  const laneLabel = Object.fromEntries(model.lanes.map((l) => [l.id, l.label]));
  const kinds = (Object.keys(MARK_STYLE) as MarkKind[]).filter((k) => model.marks.some((m) => m.kind === k));
  const spanKinds = (Object.keys(SPAN_STYLE) as SpanKind[]).filter((k) => model.spans.some((s) => s.kind === k));
  // Vega-Lite DateTime objects (utc), the same in every layer: the layers share one x scale.
  // The layers share one x scale; its domain is set on the first layer only (Vega-Lite warns
  // of a conflict when several layers state the same explicit domain).
  const x = (field: string, withDomain = false) => ({
    field,
    type: 'temporal' as const,
    scale: { type: 'utc' as const, nice: false, ...(withDomain && { domain: [dateTime(model.domain.from), dateTime(model.domain.to)] }) },
    axis: {
      format: '%H:%M:%S',
      title: `cluster time (UTC), ${model.day}`,
      grid: true,
      gridColor: '#e6e6e6',
      tickCount: 8,
      labelFontSize: FONT_SIZE,
      titleFontSize: FONT_SIZE,
      titleFontWeight: 'normal' as const,
    },
  });
  const y = {
    field: 'lane',
    type: 'nominal' as const,
    sort: laneOrder,
    // No padding: each lane's band is exactly LANE_HEIGHT, so a yOffset of LANE_HEIGHT/2 is its middle.
    scale: { domain: laneOrder, paddingInner: 0, paddingOuter: 0 },
    axis: {
      title: null,
      labelExpr: `${JSON.stringify(laneLabel)}[datum.value] || datum.value`,
      labelFontSize: FONT_SIZE + 1,
      labelFontWeight: 'bold' as const,
      labelLimit: 400,
      ticks: false,
      domain: false,
      grid: true,
      gridColor: '#f0f0f0',
      bandPosition: 1,
    },
  };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: plotWidth,
    height: model.lanes.length * LANE_HEIGHT,
    background: 'white',
    padding: { left: 12, right: 16, top: 12, bottom: 12 },
    title: {
      text: model.title,
      // Wrapped here, in the font's real widths, so no line is wider than the image.
      subtitle: [
        ...model.subtitle.flatMap((line) => wrapText(line, width - 40, 2)),
        ...model.notes.flatMap((line) => wrapText(line, width - 40, 1)),
      ],
      anchor: 'start',
      fontSize: 19,
      subtitleFontSize: FONT_SIZE,
      subtitleColor: '#333333',
      subtitlePadding: 6,
      offset: 12,
    },
    config: {
      font: CHART_FONT_FAMILY,
      view: { stroke: '#cccccc' },
      legend: { labelFontSize: FONT_SIZE, titleFontSize: FONT_SIZE, orient: 'bottom', direction: 'horizontal', columns: 3, symbolSize: 120, labelLimit: 600, columnPadding: 18, rowPadding: 6 },
    },
    resolve: { scale: { color: 'independent', shape: 'independent', strokeDash: 'independent' }, legend: { color: 'independent' } },
    layer: [
      {
        data: { values: model.spans.map((s) => ({ ...s, spanLegend: SPAN_STYLE[s.kind].legend })) },
        mark: { type: 'bar', height: 16, opacity: 0.55, cornerRadius: 2 },
        encoding: {
          x: x('from'),
          x2: { field: 'to' },
          y,
          color: {
            field: 'spanLegend',
            type: 'nominal',
            title: 'Bars',
            scale: { domain: spanKinds.map((k) => SPAN_STYLE[k].legend), range: spanKinds.map((k) => SPAN_STYLE[k].color) },
            legend: { symbolType: 'square', symbolOpacity: 0.55 },
          },
          stroke: { condition: { test: 'datum.key', value: OKABE_ITO.black }, value: null },
          strokeWidth: { condition: { test: 'datum.key', value: 2 }, value: 0 },
        },
      },
      {
        data: { values: model.links.map((l) => ({ ...l, linkLegend: 'refusal ↔ the server stop/start it followed' })) },
        mark: { type: 'rule', strokeDash: [5, 3], strokeWidth: 1.5, color: OKABE_ITO.vermillion },
        encoding: {
          x: x('from'),
          x2: { field: 'to' },
          y: { ...y, field: 'fromLane' },
          y2: { field: 'toLane' },
          strokeDash: { field: 'linkLegend', type: 'nominal', title: null, scale: { range: [[5, 3]] }, legend: { symbolStrokeColor: OKABE_ITO.vermillion, symbolStrokeWidth: 2 } },
        },
      },
      {
        data: { values: model.marks.map((m) => ({ ...m, kindLegend: MARK_STYLE[m.kind].legend, dy: mid + (m.dy ?? 0) })) },
        mark: { type: 'point', filled: true, opacity: 1, size: 150, stroke: 'white', strokeWidth: 0.8 },
        encoding: {
          x: x('at', true),
          y,
          yOffset: { field: 'dy', type: 'quantitative', scale: null },
          color: {
            field: 'kindLegend',
            type: 'nominal',
            title: 'Marks',
            scale: { domain: kinds.map((k) => MARK_STYLE[k].legend), range: kinds.map((k) => MARK_STYLE[k].color) },
          },
          shape: {
            field: 'kindLegend',
            type: 'nominal',
            title: 'Marks',
            scale: { domain: kinds.map((k) => MARK_STYLE[k].legend), range: kinds.map((k) => MARK_STYLE[k].shape) },
          },
        },
      },
      {
        data: { values: model.marks.filter((m) => m.key).map((m) => ({ ...m, keyLegend: 'key evidence of the leading cause', dy: mid + (m.dy ?? 0) })) },
        mark: { type: 'point', filled: false, size: 520, strokeWidth: 2.2, color: OKABE_ITO.black },
        encoding: {
          x: x('at'),
          y,
          yOffset: { field: 'dy', type: 'quantitative', scale: null },
          shape: { field: 'keyLegend', type: 'nominal', title: null, scale: { range: ['circle'] }, legend: { symbolSize: 260, symbolStrokeWidth: 2, symbolStrokeColor: OKABE_ITO.black, symbolFillColor: 'transparent' } },
        },
      },
      {
        data: { values: labels.filter((l) => l.align === 'left').map((l) => ({ ...l, dy: mid + l.dy })) },
        mark: { type: 'text', align: 'left', dx: 9, fontSize: FONT_SIZE, color: '#1a1a1a', baseline: 'middle' },
        encoding: { x: x('at'), y, yOffset: { field: 'dy', type: 'quantitative', scale: null }, text: { field: 'text' } },
      },
      {
        data: { values: labels.filter((l) => l.align === 'right').map((l) => ({ ...l, dy: mid + l.dy })) },
        mark: { type: 'text', align: 'right', dx: -9, fontSize: FONT_SIZE, color: '#1a1a1a', baseline: 'middle' },
        encoding: { x: x('at'), y, yOffset: { field: 'dy', type: 'quantitative', scale: null }, text: { field: 'text' } },
      },
    ],
  } as TopLevelSpec;
  return spec;
}

/** A Vega-Lite DateTime in UTC (https://vega.github.io/vega-lite/docs/datetime.html). */
function dateTime(ms: number) {
  const d = new Date(ms);
  return {
    utc: true,
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    date: d.getUTCDate(),
    hours: d.getUTCHours(),
    minutes: d.getUTCMinutes(),
    seconds: d.getUTCSeconds(),
    milliseconds: d.getUTCMilliseconds(),
  };
}

/** A Vega-Lite spec drawn to SVG, headless; warnings from either library are returned, not printed. */
export async function renderSpecSvg(spec: TopLevelSpec): Promise<{ svg: string; warnings: string[] }> {
  const warnings: string[] = [];
  const collect = (...args: unknown[]) => {
    warnings.push(args.map(String).join(' '));
  };
  const logger = { level: () => logger, error: collect, warn: collect, info: () => logger, debug: () => logger } as unknown as Parameters<typeof compile>[1] extends infer O ? (O extends { logger?: infer L } ? L : never) : never;
  const compiled = compile(spec, { logger }).spec;
  // Legends at the bottom stack one under another (Vega's legend layout) instead of side by
  // side, which would make the image far wider than Slack's preview.
  // https://vega.github.io/vega/docs/config/#legends-properties (layout)
  compiled.config = { ...compiled.config, legend: { ...compiled.config?.legend, layout: { bottom: { anchor: 'start', direction: 'vertical', margin: 8 } } } as never };
  useChartFontMetrics();
  // renderer 'none': no scenegraph renderer, no canvas; toSVG renders a fresh SVG string.
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Warn, logger: vegaLogger(collect) });
  try {
    const svg = await view.toSVG();
    return { svg, warnings };
  } finally {
    view.finalize();
  }
}

function vegaLogger(collect: (...args: unknown[]) => void): vega.LoggerInterface {
  let level = vega.Warn;
  const l: vega.LoggerInterface = {
    level: ((n?: number) => {
      if (n === undefined) return level;
      level = n;
      return l;
    }) as vega.LoggerInterface['level'],
    error: (...a: readonly unknown[]) => (collect(...a), l),
    warn: (...a: readonly unknown[]) => (collect(...a), l),
    info: () => l,
    debug: () => l,
  };
  return l;
}

/** Pure (no I/O): the timeline chart of a diagnosis as an SVG string. */
export async function renderTimelineSvg(diagnosis: Diagnosis, evidence: Evidence, options: TimelineChartOptions = {}): Promise<string> {
  return renderTimelineModelSvg(timelineChartModel(diagnosis, evidence, options), options);
}

/** Pure (no I/O): a chart model (made now, or kept with an incident's finding) as an SVG string. */
export async function renderTimelineModelSvg(model: TimelineChartModel, options: TimelineChartOptions = {}): Promise<string> {
  return (await renderSpecSvg(timelineChartSpec(model, options))).svg;
}

/**
 * What a timeline chart is drawn from: a diagnosis and its evidence (optionally one window of
 * it, e.g. a flap episode), or a model made earlier (the one an incident's finding keeps).
 */
export type TimelineChartSource =
  | { diagnosis: Diagnosis; evidence: Evidence; window?: { from?: string; to?: string } }
  | { model: TimelineChartModel };

/** Pure: the model of a source (a kept model as it is). */
export function chartModelOf(source: TimelineChartSource): TimelineChartModel {
  if ('model' in source) return source.model;
  return timelineChartModel(source.diagnosis, source.evidence, source.window ? { window: source.window } : {});
}

/** How much of a model an incident's finding keeps (see {@link boundChartModel}). */
export const KEPT_MODEL_LIMITS = { marks: 200, spans: 80, links: 40, lanes: 12, lines: 4, chars: 300, jsonChars: 24_000 } as const;

/**
 * Pure: `model` cut to a bounded size, for keeping with an incident's finding (the chart is
 * drawn again at `incident close` from the record in Redis). Every text is cut to
 * `limits.chars`, lanes past `limits.lanes` go with their points; of the marks the key ones are
 * kept first, then the latest; of spans and links the latest. While the JSON is over
 * `limits.jsonChars` the counts are halved (with none left it is a few KB: lanes and texts).
 * The domain and title stay, so the chart shows the same time range; what was dropped is said
 * in its notes.
 */
export function boundChartModel(model: TimelineChartModel, limits: typeof KEPT_MODEL_LIMITS = KEPT_MODEL_LIMITS): TimelineChartModel {
  const cut = (s: string) => (s.length > limits.chars ? `${s.slice(0, limits.chars - 1)}…` : s);
  const lanes = model.lanes.slice(0, limits.lanes).map((l) => ({ id: l.id, label: cut(l.label) }));
  const onLane = (id: string) => lanes.some((l) => l.id === id);
  const marks0 = model.marks.filter((m) => onLane(m.lane));
  const spans0 = model.spans.filter((s) => onLane(s.lane));
  const links0 = model.links.filter((l) => onLane(l.fromLane) && onLane(l.toLane));
  const build = (share: number): TimelineChartModel => {
    const byPriority = [...marks0].sort((a, b) => Number(b.key) - Number(a.key) || b.at - a.at);
    const chosen = new Set(byPriority.slice(0, Math.floor(limits.marks * share)));
    const marks = marks0.filter((m) => chosen.has(m)).map((m) => ({ ...m, ...(m.label !== undefined && { label: cut(m.label) }) }));
    const latest = <T>(xs: T[], max: number) => (Math.floor(max * share) > 0 ? xs.slice(-Math.floor(max * share)) : []);
    const spans = latest(spans0, limits.spans);
    const links = latest(links0, limits.links).map((l) => ({ ...l, label: cut(l.label) }));
    const dropped = model.marks.length - marks.length + model.spans.length - spans.length + model.links.length - links.length;
    const notes = model.notes.slice(0, limits.lines).map(cut);
    if (dropped > 0 || lanes.length < model.lanes.length) {
      notes.push(`Kept short with the incident: ${dropped} earlier points and ${model.lanes.length - lanes.length} lanes are not drawn.`);
    }
    return { title: cut(model.title), subtitle: model.subtitle.slice(0, limits.lines).map(cut), lanes, spans, marks, links, domain: { ...model.domain }, day: model.day, notes };
  };
  let share = 1;
  let out = build(share);
  while (JSON.stringify(out).length > limits.jsonChars && share > 0) {
    share = share > 1 / 256 ? share / 2 : 0;
    out = build(share);
  }
  return out;
}
