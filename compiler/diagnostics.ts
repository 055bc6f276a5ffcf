/**
 * Problems found in a config, stored as data. The library returns them and
 * the CLI renders them, so both speak about a problem in the same words.
 */

/** Where a problem is: the config file and, when known, a line and column in it. */
export interface SourceLocation {
  file: string;
  /** 1-based line. */
  line?: number;
  /** 1-based column. */
  column?: number;
}

export type Severity = "error" | "warning";

/** One problem in a config. */
export interface Diagnostic {
  severity: Severity;
  /** Stable identifier of the kind of problem, e.g. `unknown-upstream`. */
  code: string;
  /** Path into the config, e.g. `routes[2].upstream`; empty for the config as a whole. */
  path: string;
  /** Sentence stating what is wrong, quoting the value as the user wrote it. */
  message: string;
  /** The value found at `path`, when there is one. */
  received?: unknown;
  /** What would be accepted there. */
  expected?: string;
  /** A suggested fix, such as a close match for a misspelt name. */
  hint?: string;
  location?: SourceLocation;
}

/**
 * An error that stops a build because of the user's input, not a bug. The CLI
 * prints its diagnostics without a stack trace and exits with status 1.
 */
export class ConfigError extends Error {
  readonly diagnostics: Diagnostic[];

  constructor(diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join("\n"));
    this.name = "ConfigError";
    this.diagnostics = diagnostics;
  }
}

/** Builds a path string such as `routes[2].upstream` from its segments. */
export function formatPath(segments: readonly (string | number)[]): string {
  let path = "";
  for (const segment of segments) {
    if (typeof segment === "number") {
      path += `[${segment}]`;
    } else if (/^[A-Za-z_$][\w$]*$/.test(segment)) {
      path += path === "" ? segment : `.${segment}`;
    } else {
      path += `[${JSON.stringify(segment)}]`;
    }
  }
  return path;
}

/** Splits a path such as `routes[2].upstream` into its segments; the inverse of formatPath(). */
export function parsePath(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g)) {
    if (match[2] !== undefined) {
      segments.push(Number(match[2]));
    } else if (match[3] !== undefined) {
      segments.push(JSON.parse(`"${match[3]}"`) as string);
    } else {
      segments.push(match[1]!);
    }
  }
  return segments;
}

/**
 * Returns whether a diagnostic stops the build: every error, and with
 * `strict` every warning too.
 */
export function isBlocking(diagnostic: Diagnostic, strict = false): boolean {
  return diagnostic.severity === "error" || strict;
}

/**
 * Quotes a value for a message in JSON string syntax, so that quotes,
 * backslashes and control characters show as escapes. Characters that
 * JSON leaves alone but a terminal acts on (DEL, the C1 controls, line
 * separators and bidirectional overrides) are escaped as well.
 */
export function quote(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : describeJson(value);
  return escapeTerminalControls(text);
}

function describeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Characters that change what a terminal shows, beyond the C0 controls that JSON.stringify escapes. */
const terminalControls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeTerminalControls(text: string): string {
  return text.replace(terminalControls, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * Renders one diagnostic as one or two lines of plain text. Control
 * characters in a message (for example from a parser that quotes the
 * input) are escaped, so a hostile config cannot drive the terminal.
 */
export function formatDiagnostic(diagnostic: Diagnostic): string {
  let where = "";
  if (diagnostic.location) {
    const { file, line, column } = diagnostic.location;
    where = line === undefined ? `${file}: ` : `${file}:${line}:${column ?? 1}: `;
  }
  const path = diagnostic.path === "" ? "" : `${diagnostic.path}: `;
  let text = oneLine(`${where}${diagnostic.severity} [${diagnostic.code}] ${path}${diagnostic.message}`);
  if (diagnostic.hint) {
    text += `\n  hint: ${oneLine(diagnostic.hint)}`;
  }
  return text;
}

function oneLine(text: string): string {
  return escapeTerminalControls(text.replace(/\r?\n/g, " ").replace(/\t/g, " "));
}

/** Returns the candidate closest to `value` by edit distance, if one is close enough to be a likely typo. */
export function closestMatch(value: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(value.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(1, Math.floor(value.length / 3));
  return bestDistance <= limit ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
