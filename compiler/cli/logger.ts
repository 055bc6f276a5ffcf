/**
 * The command line's one logger. Everything except the output a command was
 * asked for (a schema, a graph, a list of outdated files) goes through it to
 * stderr, filtered by level and coloured only on a terminal without NO_COLOR.
 */
import { formatDiagnostic, type Diagnostic } from "../diagnostics.js";

export type LogLevel = "error" | "warn" | "info" | "debug";

const levelOrder: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  readonly level: LogLevel;
  readonly color: boolean;
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  /** Prints a diagnostic at the level of its severity. */
  diagnostic(diagnostic: Diagnostic): void;
}

/** The part of a stream the logger writes to; process.stderr in the command. */
export interface LogStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface LoggerOptions {
  level?: LogLevel;
  stream?: LogStream;
  /** Overrides the terminal detection. */
  color?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * Returns whether to colour output on `stream`: only on a terminal, and never
 * when NO_COLOR is set to a non-empty value (https://no-color.org).
 */
export function shouldUseColor(stream: LogStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === "");
}

const styles = { red: [31, 39], yellow: [33, 39], dim: [2, 22], bold: [1, 22] } as const;

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const level = options.level ?? "info";
  const color = options.color ?? shouldUseColor(stream, options.env);
  const style = (name: keyof typeof styles, text: string) =>
    color ? `\u001b[${styles[name][0]}m${text}\u001b[${styles[name][1]}m` : text;
  const write = (messageLevel: LogLevel, text: string) => {
    if (levelOrder[messageLevel] <= levelOrder[level]) {
      stream.write(text.endsWith("\n") ? text : `${text}\n`);
    }
  };

  return {
    level,
    color,
    error: (message) => write("error", `${style("red", "error:")} ${message}`),
    warn: (message) => write("warn", `${style("yellow", "warning:")} ${message}`),
    info: (message) => write("info", message),
    debug: (message) => write("debug", style("dim", message)),
    diagnostic: (diagnostic) => {
      let text = formatDiagnostic(diagnostic);
      if (color) {
        text = text
          .replace(` ${diagnostic.severity} [`, ` ${style(diagnostic.severity === "error" ? "red" : "yellow", diagnostic.severity)} [`)
          .replace("\n  hint: ", `\n  ${style("dim", "hint:")} `);
      }
      write(diagnostic.severity === "error" ? "error" : "warn", text);
    },
  };
}
