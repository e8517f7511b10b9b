/**
 * How a remediation reads in each format: the target and how it was found, the patch as a
 * diff, the kubectl line, the dry-run verdict, and who would revert it. Pure.
 */
import type { Remediation } from '../remediation/types.js';

/** `Server mlserver in financial-ml`. */
export function targetName(r: Remediation): string {
  if (!r.target) return '';
  return `${r.target.kind} ${r.target.name}${r.target.namespace ? ` in ${r.target.namespace}` : ''}`;
}

/** One line on the state of the patch. */
export function remediationHeadline(r: Remediation): string {
  if (r.manual) return `No patch: ${r.manual}`;
  const verdict = r.dryRun ? (r.dryRun.ok ? 'dry-run passed' : `dry-run failed — ${r.dryRun.message}`) : 'not validated';
  return `Patch ${targetName(r)} (${r.patchType} patch; ${verdict})`;
}

/** Plain-text lines (the terminal), indented by the caller. */
export function remediationText(r: Remediation): string[] {
  const out = [remediationHeadline(r), `why: ${r.why}`];
  if (r.managedBy) out.push(`⚠ ${r.managedBy.note}`);
  if (r.diff && r.diff.length > 0) out.push(...r.diff);
  if (r.command) out.push(`$ ${r.command}`);
  return out;
}

/** Markdown: a paragraph, the diff as a ```diff block, the command as a ```sh block. */
export function remediationMarkdown(r: Remediation, escape: (s: string) => string): string[] {
  const out = [`**Remediation:** ${escape(remediationHeadline(r))}`, '', `_How the owner was found:_ ${escape(r.why)}`, ''];
  if (r.managedBy) out.push(`> ⚠ ${escape(r.managedBy.note)}`, '');
  if (r.diff && r.diff.length > 0) out.push('```diff', ...r.diff.map(fenceSafe).map((l) => (l.startsWith('  ') ? ` ${l.slice(2)}` : `${l[0]}${l.slice(2)}`)), '```', '');
  if (r.command) out.push('```sh', fenceSafe(r.command), '```', '');
  return out;
}

/** A line cannot close the fence it sits in. */
function fenceSafe(line: string): string {
  return line.replace(/```/g, '`\u200b``');
}

/** The diff lines for a Slack code block (already escaped by the caller's `sections`). */
export function remediationDiffLines(r: Remediation): string[] {
  return (r.diff ?? []).map(fenceSafe);
}
