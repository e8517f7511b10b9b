/**
 * How the shell's lexer, parser and interpreter stop a script: both are caught by the
 * interpreter, which prints the shell's own message.
 */

/** A construct the simulator does not model; the shell prints `NAME: unsupported by podnet simulator: WHAT` and exits 2. */
export class Unsupported extends Error {}

/** A script the real shell would reject; printed in dash's or bash's syntax-error wording. */
export class SyntaxError_ extends Error {}
