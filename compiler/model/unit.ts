/**
 * A typed model of systemd unit files and Quadlet files (the same syntax).
 * Values are stored already encoded for the file; the constructors below are
 * the only way to make one, so every value goes through the escaping its
 * context needs.
 */

/** An encoded value, ready to follow `Key=`. */
export class UnitValue {
  private constructor(readonly text: string) {}

  /**
   * Plain text: `%` becomes `%%`, so systemd reads no specifier. Line breaks
   * and other control characters cannot be written in a unit file and are
   * rejected.
   */
  static literal(text: string): UnitValue {
    assertSingleLine(text);
    return new UnitValue(text.replace(/%/g, "%%"));
  }

  /**
   * A path that may begin with `%h` (the home directory of the user manager
   * that reads the unit); every other `%` is literal.
   */
  static pathWithHome(path: string): UnitValue {
    assertSingleLine(path);
    const home = path === "%h" || path.startsWith("%h/") ? "%h" : "";
    return new UnitValue(home + path.slice(home.length).replace(/%/g, "%%"));
  }

  /**
   * A command line for `ExecStart=` or Quadlet's `Exec=`. Each argument is
   * quoted when it contains a space, quote or backslash, `%` becomes `%%` and
   * `$` becomes `$$`, so systemd passes every argument through unchanged.
   */
  static command(args: readonly string[]): UnitValue {
    return new UnitValue(args.map(quoteCommandArgument).join(" "));
  }

  /** Space-separated list of already encoded values, as in `ListenStream=` or `RestrictAddressFamilies=`. */
  static join(values: readonly UnitValue[]): UnitValue {
    return new UnitValue(values.map((value) => value.text).join(" "));
  }
}

export interface UnitEntry {
  key: string;
  value: UnitValue;
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
}

function quoteCommandArgument(argument: string): string {
  assertSingleLine(argument);
  const escaped = argument.replace(/%/g, "%%").replace(/\$/g, "$$$$");
  if (escaped !== "" && !/[\s"'\\;]/.test(escaped)) {
    return escaped;
  }
  return `"${escaped.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}
