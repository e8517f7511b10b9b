/**
 * `podnet analyze EVIDENCE.json` — re-runs the analysis on evidence saved by
 * `podnet check POD --evidence` (POD-evidence.json; uploaded into the thread in Slack, or attached to an incident), offline: no cluster needed.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { diagnose } from '../analysis/diagnose.js';
import { BadInputError, describeError } from '../errors.js';
import { EVIDENCE_SCHEMA_VERSION, type Evidence } from '../evidence.js';
import { renderJson } from '../render/json.js';
import { renderMarkdown } from '../render/markdown.js';
import { renderText } from '../render/text.js';
import { processIo, type CliIo, type OutputFormat } from './check.js';

export const USAGE = `Usage: podnet analyze EVIDENCE.json [--output text|markdown|json] [--now ISO-TIME]

Re-runs the diagnosis on an evidence file written by \`podnet check POD --evidence\` (POD-evidence.json, or the file --evidence-file names) or uploaded by \`/podnet check POD --evidence\`.

Options:
  -o, --output FORMAT   text (default), markdown or json
  --now ISO-TIME        the clock for ages and "since" (default: the evidence's clusterNow,
                        else its collectedAt), e.g. 2025-07-06T15:20:00Z
  -h, --help            show this help

Exit codes: 0 analysed, 2 bad input (missing or invalid file, unknown flag).`;

const ARRAYS = ['events', 'nodeEvents', 'logs', 'sockets', 'netns', 'dials', 'policies', 'services', 'sidecars', 'missingTools', 'steps'] as const;

/**
 * Checks that `data` is an {@link Evidence} this version can read. Throws
 * {@link BadInputError} naming the first problem (`target.pod is missing`).
 */
export function validateEvidence(data: unknown, file = 'the evidence'): Evidence {
  const fail = (what: string) => new BadInputError(`${file} is not podnet evidence: ${what}`);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw fail('expected a JSON object');
  const ev = data as Record<string, unknown>;
  if (ev.schemaVersion !== EVIDENCE_SCHEMA_VERSION) {
    throw new BadInputError(
      ev.schemaVersion === undefined
        ? `${file} is not podnet evidence: schemaVersion is missing (write one with \`podnet check POD --evidence\`)`
        : `${file} has evidence schemaVersion ${JSON.stringify(ev.schemaVersion)}; this podnet reads version ${EVIDENCE_SCHEMA_VERSION}`,
    );
  }
  if (typeof ev.collectedAt !== 'string' || Number.isNaN(Date.parse(ev.collectedAt))) throw fail('collectedAt must be an ISO time');
  const t = ev.target as Record<string, unknown> | undefined;
  if (typeof t !== 'object' || t === null) throw fail('target is missing');
  if (typeof t.namespace !== 'string') throw fail('target.namespace is missing');
  if (typeof t.pod !== 'string') throw fail('target.pod is missing');
  if (!Array.isArray(t.inferredFrom)) throw fail('target.inferredFrom must be a list');
  for (const key of ARRAYS) {
    if (!Array.isArray(ev[key])) throw fail(`${key} must be a list`);
  }
  if (ev.pod !== undefined && (typeof ev.pod !== 'object' || ev.pod === null || !Array.isArray((ev.pod as Record<string, unknown>).containers))) {
    throw fail('pod.containers must be a list');
  }
  return data as Evidence;
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let file: string;
  let output: OutputFormat;
  let now: Date | undefined;
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        strict: true,
        options: { output: { type: 'string', short: 'o' }, now: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      });
    } catch (err) {
      throw new BadInputError(describeError(err).replace(/\. To specify.*$/, '').replace(/\.$/, ''));
    }
    if (parsed.values.help) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    const [first, ...extra] = parsed.positionals;
    if (first === undefined) throw new BadInputError('missing EVIDENCE.json: name the file written by `podnet check POD --evidence` (POD-evidence.json)');
    if (extra.length) throw new BadInputError(`unexpected argument "${extra[0]}": analyze takes one file`);
    file = first;
    output = (parsed.values.output ?? 'text') as OutputFormat;
    if (!['text', 'markdown', 'json'].includes(output)) throw new BadInputError(`--output must be one of text, markdown, json (got "${parsed.values.output}")`);
    if (parsed.values.now !== undefined) {
      now = new Date(parsed.values.now);
      if (Number.isNaN(now.getTime())) throw new BadInputError(`--now must be an ISO time such as 2025-07-06T15:20:00Z (got "${parsed.values.now}")`);
    }
  } catch (err) {
    io.stderr(`podnet analyze: ${describeError(err)}\n\n${USAGE}\n`);
    return 2;
  }

  let evidence: Evidence;
  try {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new BadInputError(code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file}: ${describeError(err)}`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new BadInputError(`${file} is not valid JSON (${(err as Error).message.replace(/\s+/g, ' ').slice(0, 120)})`);
    }
    evidence = validateEvidence(data, file);
  } catch (err) {
    io.stderr(`podnet analyze: ${describeError(err)}\n`);
    return 2;
  }

  try {
    const d = diagnose(evidence, { now: now ?? new Date(evidence.clusterNow ?? evidence.collectedAt) });
    const color = output === 'text' && io.stdoutIsTTY && !io.env.NO_COLOR;
    const rendered = output === 'json' ? renderJson(d) : output === 'markdown' ? renderMarkdown(d) : renderText(d, { color });
    io.stdout(rendered.endsWith('\n') ? rendered : `${rendered}\n`);
    return 0;
  } catch (err) {
    io.stderr(`podnet analyze: ${describeError(err)}\n`);
    return 1;
  }
}
