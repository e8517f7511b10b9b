/**
 * Redaction you can trust (issue 11, finding 3): fast-check generates secret shapes × the
 * contexts they arrive in (env, args, log lines, events, termination messages, JSON,
 * URL-encoded) and runs each through podnet's real pieces — pod evidence, the evidence
 * redaction collectEvidence applies, diagnosis and every renderer (Slack summary and thread,
 * terminal text, JSON, the evidence file), the log scanner, the `logs` message and file, the
 * audit log, the Bolt and Web API loggers — and asserts the secret reaches none of them.
 * It also checks the other side: diagnostic text (addresses, ports, MLSERVER_HOST) survives.
 */
import { Writable } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';
import fc from 'fast-check';
import { pino } from 'pino';
import { renderLogsMessage } from '../../src/render/logs.js';
import { diagnose } from '../../src/analysis/diagnose.js';
import { createAuditLog } from '../../src/authz/audit.js';
import { redactDeep, redactLines, redactSecrets } from '../../src/logscan/redact.js';
import { scanLog } from '../../src/logscan/scan.js';
import { podEvidence } from '../../src/probes/pod.js';
import { renderJson } from '../../src/render/json.js';
import { renderSlackSummary, renderSlackThread } from '../../src/render/slack.js';
import { renderText } from '../../src/render/text.js';
import { boltLogger } from '../../src/slack/app.js';
import { webLogger } from '../../src/slack/poster.js';
import { event, seedIncident } from '../helpers/evidence-builders.js';

const RUNS = Number(process.env.PODNET_FC_RUNS ?? 150);

const alnum = (min: number, max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9]{${min},${max}}$`));

/** A password: a distinctive core (so a leak is unambiguous) and punctuation people use. */
const password = fc
  .tuple(alnum(6, 16), fc.constantFrom('', '!', '#', '%', '*', '+', '-', '.', '^', '_', '~', '$', '@', '/'), alnum(0, 6))
  .map(([core, p, tail]) => `Zq${core}${p}${tail}`);
/** A password that can sit in a URL's userinfo unencoded. */
const urlPassword = fc.tuple(alnum(6, 16), fc.constantFrom('', '-', '.', '_', '~', '!', '*')).map(([c, p]) => `Zq${c}${p}`);

/** Tokens with a known shape: [the token, the part that must not appear]. */
const pair = (tok: string, body: string): [string, string] => [tok, body];
const token: fc.Arbitrary<[string, string]> = fc.oneof(
  alnum(24, 40).map((s) => pair(`xoxb-1234567890-${s}`, s)),
  alnum(36, 36).map((s) => pair(`ghp_${s}`, s)),
  alnum(22, 40).map((s) => pair(`github_pat_11A${s}`, s)),
  alnum(20, 20).map((s) => pair(`glpat-${s}`, s)),
  alnum(40, 60).map((s) => pair(`sk-proj-${s}`, s)),
  alnum(24, 32).map((s) => pair(`sk_live_${s}`, s)),
  alnum(35, 35).map((s) => pair(`AIza${s}`, s)),
  alnum(36, 36).map((s) => pair(`npm_${s}`, s)),
  alnum(34, 34).map((s) => pair(`hf_${s}`, s)),
  alnum(27, 27).map((s) => pair(`dckr_pat_${s}`, s)),
  fc.tuple(alnum(22, 22), alnum(43, 43)).map(([a, b]) => pair(`SG.${a}.${b}`, b)),
  fc.stringMatching(/^[A-Z0-9]{16}$/).map((s) => pair(`AKIA${s}`, s)),
  fc.tuple(alnum(10, 20), alnum(10, 40)).map(([a, b]) => pair(`eyJhbGciOiJIUzI1NiJ9.eyJ${a}.${b}`, b)),
  alnum(24, 24).map((s) => pair(`https://hooks.slack.com/services/T0001/B0002/${s}`, s)),
  alnum(20, 40).map((s) => pair(`Bearer ${s}`, s)),
);

/** Ways a password appears in free text: [name, build]. */
const TEXT_CONTEXTS: [string, (v: string) => string][] = [
  ['key=value', (v) => `connecting user=ml password=${v} host=db`],
  ['is', (v) => `db_password is ${v}`],
  ['flag blank', (v) => `exec mysql --password ${v} -h db`],
  ['-pX', (v) => `mysql -uroot -p${v} orders`],
  ['pwd=', (v) => `pwd=${v}`],
  ['pass=', (v) => `login pass=${v}`],
  ['secret_key_base', (v) => `secret_key_base=${v}`],
  ['cookie', (v) => `GET / Cookie: session=${v}; theme=dark`],
  ['url-encoded', (v) => `POST /login body=user%3Dml%26password%3D${encodeURIComponent(v)}`],
  ['ruby hash', (v) => `{"token" => "${v}"}`],
  ['json', (v) => JSON.stringify({ user: 'ml', password: v, port: 5432 })],
  ['yaml', (v) => `password: ${v}`],
  ['env line', (v) => `API_PASS=${v}`],
  ['auth flag', (v) => `--auth=user:${v}`],
  ['db-pass flag', (v) => `--db-pass ${v}`],
];

/** Env names whose value must be withheld whatever it is. */
const SECRET_ENV = ['DB_PASSWORD', 'DB_PASS', 'ADMIN_PW', 'PASS', 'API_PASS', 'SENTRY_DSN', 'COOKIE_SALT', 'SESSION_SIGNING', 'SLACK_BOT_TOKEN', 'AWS_SECRET_ACCESS_KEY'];
/** Argv shapes whose password must be withheld. */
const ARGV: ((v: string) => string[])[] = [
  (v) => ['--password', v],
  (v) => ['--db-pass', v],
  (v) => ['-p', v],
  (v) => ['--pass', v],
  (v) => [`--password=${v}`],
  (v) => [`--auth=user:${v}`],
  (v) => [`-p${v}`],
];

/** Everything podnet renders or writes from one evidence object. */
function everyOutput(raw: ReturnType<typeof seedIncident>): string {
  // What collectEvidence returns (src/probes/collect.ts) and the check job's merge applies.
  const ev = redactDeep(raw);
  const d = diagnose(ev, { now: new Date(ev.collectedAt) });
  return [
    JSON.stringify(ev),
    redactSecrets(JSON.stringify(ev, null, 2)), // the evidence file (jobs/check.ts)
    renderJson(d),
    renderText(d),
    JSON.stringify(renderSlackSummary(d)),
    JSON.stringify(renderSlackThread(d, ev)),
  ].join('\n');
}

function leaks(out: string, secret: string): boolean {
  const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  return [...forms].some((f) => out.includes(f));
}

function podWith(over: { env?: { name: string; value: string }[]; args?: string[]; termination?: string; waiting?: string }): V1Pod {
  return {
    metadata: { name: 'mlserver-0', namespace: 'financial-ml', uid: 'u1' },
    spec: {
      containers: [
        {
          name: 'mlserver',
          image: 'seldonio/mlserver:1.6.1',
          args: over.args ?? [],
          env: [{ name: 'MLSERVER_HOST', value: '127.0.0.1' }, ...(over.env ?? [])],
          ports: [{ containerPort: 9000 }],
        },
      ],
    },
    status: {
      podIP: '10.42.1.17',
      containerStatuses: [
        {
          name: 'mlserver',
          image: 'seldonio/mlserver:1.6.1',
          imageID: '',
          ready: false,
          restartCount: 3,
          state: over.waiting ? { waiting: { reason: 'CrashLoopBackOff', message: over.waiting } } : { running: {} },
          lastState: { terminated: { exitCode: 1, reason: 'Error', message: over.termination ?? 'exit' } },
        },
      ],
    },
  } as unknown as V1Pod;
}

function evidenceWith(pod: V1Pod, line: string): ReturnType<typeof seedIncident> {
  const ev = seedIncident();
  ev.pod = { ...podEvidence(pod), containers: [...podEvidence(pod).containers, ...ev.pod!.containers.filter((c) => c.name !== 'mlserver')] };
  ev.events.push(event('BackOff', line));
  ev.steps.push({ name: 'exec:ss', ok: false, error: `command failed: ${line}` });
  ev.dials.push({ from: 'agent', host: '127.0.0.1', port: 9500, ok: false, outcome: 'refused', detail: line, tool: 'nc' });
  return ev;
}

describe('no generated secret reaches any output', () => {
  it('env values under secret names, in pod evidence and everything rendered from it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SECRET_ENV), password, (name, v) => {
        const out = everyOutput(evidenceWith(podWith({ env: [{ name, value: v }] }), 'ok'));
        expect(leaks(out, v)).toBe(false);
        expect(out).toContain('MLSERVER_HOST');
      }),
      { numRuns: RUNS },
    );
  });

  it('container args', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ARGV), password, (argv, v) => {
        const out = everyOutput(evidenceWith(podWith({ args: ['serve', ...argv(v), '--port', '9000'] }), 'ok'));
        expect(leaks(out, v)).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it('termination messages, waiting messages, events, step errors and dial details', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TEXT_CONTEXTS), password, ([, ctx], v) => {
        const line = ctx(v);
        const out = everyOutput(evidenceWith(podWith({ termination: line, waiting: line }), line));
        expect(leaks(out, v)).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it('passwords in URLs, in env values, args and messages', () => {
    fc.assert(
      fc.property(urlPassword, fc.constantFrom('redis', 'postgres', 'https', 'amqp'), (v, scheme) => {
        const url = `${scheme}://app:${v}@db.financial-ml.svc:5432/orders`;
        const out = everyOutput(evidenceWith(podWith({ env: [{ name: 'DATABASE_URL', value: url }], args: ['--db', url], termination: `cannot connect to ${url}` }), `dial ${url}`));
        expect(leaks(out, v)).toBe(false);
        expect(out).toContain('db.financial-ml.svc:5432');
      }),
      { numRuns: RUNS },
    );
  });

  it('known token shapes, alone or in a line, raw, JSON-encoded or URL-encoded', () => {
    fc.assert(
      fc.property(token, fc.constantFrom('raw', 'json', 'url'), ([tok, body], enc) => {
        const line = `calling api with ${tok} now`;
        const text = enc === 'json' ? JSON.stringify({ msg: line }) : enc === 'url' ? `q=${encodeURIComponent(line)}` : line;
        const out = everyOutput(evidenceWith(podWith({ termination: text }), text));
        expect(out).not.toContain(body);
      }),
      { numRuns: RUNS },
    );
  });

  it('log lines: the scan result, the logs message and the uploaded file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...TEXT_CONTEXTS), password, token, async ([, ctx], v, [tok, body]) => {
        const lines = [`2025-07-06T15:17:51Z ${ctx(v)}`, `2025-07-06T15:17:52Z connection refused using ${tok}`, '2025-07-06T15:17:53Z dial tcp 127.0.0.1:9500: connect: connection refused'];
        const text = `${lines.join('\n')}\n`;
        const chunks = async function* () {
          yield text;
        };
        const r = await scanLog(chunks(), { container: 'agent', previous: false, grep: { source: 'x', test: () => true } });
        const msg = renderLogsMessage({ pod: 'mlserver-0', namespace: 'financial-ml', grep: 'x' } as Parameters<typeof renderLogsMessage>[0], r, { count: r.grepCount ?? 0, lines: r.grepLines ?? [] });
        const out = [JSON.stringify(r), JSON.stringify(msg), redactLines(text, 16 * 1024)].join('\n');
        expect(leaks(out, v)).toBe(false);
        expect(out).not.toContain(body);
        expect(out).toContain('127.0.0.1:9500');
      }),
      { numRuns: RUNS },
    );
  });

  it('the audit log and the Bolt and Web API loggers', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TEXT_CONTEXTS), password, token, (([, ctx], v, [tok, body]) => {
        const written: string[] = [];
        const sink = new Writable({ write: (c: Buffer, _e, done) => (written.push(c.toString()), done()) });
        const command = `incident note ${ctx(v)} and ${tok}`;
        createAuditLog({ stream: sink }).record({ who: 'U1', command, outcome: 'queued', reason: command });
        const logger = pino({ level: 'debug' }, sink);
        boltLogger(logger).debug(JSON.stringify({ text: command }));
        webLogger(logger).debug('http request body', JSON.stringify({ channel: 'C1', text: command }));
        const out = written.join('');
        expect(written.length).toBe(3);
        expect(leaks(out, v)).toBe(false);
        expect(out).not.toContain(body);
      })),
      { numRuns: RUNS },
    );
  });
});

describe('diagnostic evidence survives redaction', () => {
  const ordinary = fc.constantFrom(
    'MLSERVER_HOST=127.0.0.1',
    'dial tcp 127.0.0.1:9500: connect: connection refused',
    'listening on [::]:9000 and 0.0.0.0:8082',
    'docker run -p 8080:80 nginx',
    'mkdir -p /mnt/models && find /mnt -path x',
    'Liveness probe failed: Get "http://10.42.1.17:9000/v2/health/live": dial tcp 10.42.1.17:9000: connect: connection refused',
    'the password is incorrect',
    'generated 512 tokens max_tokens=1024 secretName: mlserver-creds',
    'redis://redis.financial-ml.svc:6379/0',
    'nc -l -p 9500',
  );
  it('addresses, ports, paths and probe failures pass unchanged', () => {
    fc.assert(
      fc.property(ordinary, (line) => {
        expect(redactSecrets(line)).toBe(line);
        expect(redactDeep({ message: line })).toEqual({ message: line });
      }),
    );
  });

  it('env vars that are not secrets keep their values in the evidence', () => {
    const ev = podEvidence(podWith({ env: [{ name: 'MLSERVER_HTTP_PORT', value: '9000' }, { name: 'SELDON_SERVER_HOST', value: '0.0.0.0' }] }));
    expect(ev.containers[0]!.env).toEqual([
      { name: 'MLSERVER_HOST', from: 'literal', value: '127.0.0.1' },
      { name: 'MLSERVER_HTTP_PORT', from: 'literal', value: '9000' },
      { name: 'SELDON_SERVER_HOST', from: 'literal', value: '0.0.0.0' },
    ]);
    expect(podEvidence(podWith({ args: ['-p', '8080', '--port', '9000', 'mkdir', '-p', '/data'] })).containers[0]!.args).toEqual(['-p', '8080', '--port', '9000', 'mkdir', '-p', '/data']);
  });
});
