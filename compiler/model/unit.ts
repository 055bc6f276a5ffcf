/**
 * A typed model of systemd unit files and Quadlet files (the same syntax).
 * Values are stored already encoded for the file; the constructors below are
 * the only way to make one, so every value goes through the escaping its
 * context needs.
 */
import { containsNoncharacter } from "../util/unicode.js";

/** An encoded value, ready to follow `Key=`. */
export class UnitValue {
  private constructor(readonly text: string) {}

  /**
   * Plain text: `%` becomes `%%`, so systemd reads no specifier. Line breaks
   * and other control characters cannot be written in a unit file, systemd
   * strips blanks around a value and joins a line that ends in a backslash
   * with the next one, so such text is rejected.
   */
  static literal(text: string): UnitValue {
    assertPlainValue(text);
    return new UnitValue(text.replace(/%/g, "%%"));
  }

  /**
   * A path that may begin with `%h` (the home directory of the user manager
   * that reads the unit); every other `%` is literal.
   */
  static pathWithHome(path: string): UnitValue {
    assertPlainValue(path);
    const home = path === "%h" || path.startsWith("%h/") ? "%h" : "";
    return new UnitValue(home + path.slice(home.length).replace(/%/g, "%%"));
  }

  /**
   * Arguments for Quadlet's `Exec=`, which follow the image's entrypoint.
   * Each argument is quoted when it contains a space, quote or backslash, `%`
   * becomes `%%` and `$` becomes `$$`, so systemd passes every argument
   * through unchanged.
   */
  static command(args: readonly string[]): UnitValue {
    return new UnitValue(args.map(quoteCommandArgument).join(" "));
  }

  /**
   * A command line for `ExecStart=`: the executable's absolute path, then
   * arguments escaped as `command()` does. The path must be absolute, because
   * systemd reads a leading `-`, `@`, `:`, `+` or `!` as a prefix. systemd
   * expands no `$` variables in the path, so `$` stays single there. It
   * rejects a path with a quote or a backslash ("Executable name contains
   * special characters", systemd 252), and so does this constructor.
   */
  static exec(argv: readonly string[]): UnitValue {
    const [executable, ...args] = argv;
    if (executable === undefined || !executable.startsWith("/")) {
      throw new Error(`ExecStart= needs an absolute executable path, not ${JSON.stringify(executable)}`);
    }
    return new UnitValue([quoteExecutable(executable), ...args.map(quoteCommandArgument)].join(" "));
  }

  /**
   * Assignments for `Environment=`. systemd splits the value at spaces outside
   * double quotes and reads C escapes inside them, so each assignment is
   * written as `"NAME=value"` with `"` and `\` backslash-escaped and `%`
   * doubled. A line break cannot be written in a unit file and is rejected:
   * put such a value in an `EnvironmentFile=` instead.
   */
  static environment(variables: readonly (readonly [name: string, value: string])[]): UnitValue {
    const assignments = variables.map(([name, value]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new Error(`invalid environment variable name ${JSON.stringify(name)}`);
      }
      assertSingleLine(value);
      const escaped = value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%");
      return `"${name}=${escaped}"`;
    });
    return new UnitValue(assignments.join(" "));
  }

  /**
   * A unit name that may contain `%i`, the instance name of a template unit
   * (`workerd@%i.socket` in `workerd@.service`); every other `%` is literal.
   */
  static unitNameWithInstance(name: string): UnitValue {
    assertSingleLine(name);
    return new UnitValue(name.split("%i").map((part) => part.replace(/%/g, "%%")).join("%i"));
  }

  /** Space-separated list of already encoded values, as in `ListenStream=` or `RestrictAddressFamilies=`. */
  static join(values: readonly UnitValue[]): UnitValue {
    return new UnitValue(values.map((value) => value.text).join(" "));
  }
}

export interface UnitEntry {
  key: string;
  value: UnitValue;
  /** Path of the config field that the value comes from, for diagnostics about it. */
  origin?: string;
}

export interface UnitSection {
  name: string;
  entries: UnitEntry[];
}

export interface UnitFile {
  sections: UnitSection[];
  /** Keys that may appear more than once in a section; any other repeated key is a bug. */
  listKeys: ReadonlySet<string>;
}

function assertSingleLine(text: string): void {
  if (/[\x00-\x1f\x7f]/.test(text)) {
    throw new Error(`unit file value contains a control character: ${JSON.stringify(text)}`);
  }
  if (containsNoncharacter(text)) {
    throw new Error(`unit file value contains a Unicode noncharacter: ${JSON.stringify(text)}`);
  }
}

function assertPlainValue(text: string): void {
  assertSingleLine(text);
  if (/^\s|\s$|\\$/.test(text)) {
    throw new Error(`unit file value starts or ends with a blank, or ends with a backslash: ${JSON.stringify(text)}`);
  }
}

function quoteExecutable(path: string): string {
  assertSingleLine(path);
  if (/["'\\]/.test(path)) {
    throw new Error(`systemd rejects quotes and backslashes in an executable path: ${JSON.stringify(path)}`);
  }
  const escaped = path.replace(/%/g, "%%");
  return /[\s;]/.test(escaped) ? `"${escaped}"` : escaped;
}

function quoteCommandArgument(argument: string): string {
  assertSingleLine(argument);
  const escaped = argument.replace(/%/g, "%%").replace(/\$/g, "$$$$");
  if (escaped !== "" && !/[\s"'\\;]/.test(escaped)) {
    return escaped;
  }
  return `"${escaped.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}
