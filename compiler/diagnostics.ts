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
  /** Sentence that says what is wrong, quoting the value as the user wrote it. */
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

/** Renders one diagnostic as one or two lines of plain text. */
export function formatDiagnostic(diagnostic: Diagnostic): string {
  let where = "";
  if (diagnostic.location) {
    const { file, line, column } = diagnostic.location;
    where = line === undefined ? `${file}: ` : `${file}:${line}:${column ?? 1}: `;
  }
  const path = diagnostic.path === "" ? "" : `${diagnostic.path}: `;
  let text = `${where}${diagnostic.severity} [${diagnostic.code}] ${path}${diagnostic.message}`;
  if (diagnostic.hint) {
    text += `\n  hint: ${diagnostic.hint}`;
  }
  return text;
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
