/** Bounds of one log read (the `logs` job, a runbook's `logs:` step, their messages): what a person can read in Slack, and what Redis should carry. */
export const LOGS_BOUNDS = {
  tailLines: 5000,
  limitBytes: 2 * 1024 * 1024,
  shownLines: 40,
  excerptLines: 15,
  grepLines: 500,
  /** A line of the uploaded file longer than this is cut (and says so) before redaction. */
  fileLineChars: 16 * 1024,
  /** Time budget of the read and scan; past it the job is cancelled and the user told. */
  budgetMs: 60_000,
} as const;
