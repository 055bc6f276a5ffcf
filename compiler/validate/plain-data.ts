/**
 * Turns whatever a config module exported (or a YAML document produced) into
 * plain JSON data before any other check looks at it. A TypeScript config can
 * export functions, class instances, getters that throw and cycles; a YAML
 * document can hold binary data and self-referencing aliases. Each of those
 * becomes a diagnostic with its path, so later steps see only strings, finite
 * numbers, booleans, null, arrays and plain objects.
 */
import { formatPath, quote, type Diagnostic } from "../diagnostics.js";

/** In a `u` regex a valid surrogate pair is one code point, so this matches only a lone half. */
const loneSurrogate = /\p{Surrogate}/u;

const expectedData = "a string, number, boolean, null, array or plain object";

export interface PlainDataResult {
  value: unknown;
  diagnostics: Diagnostic[];
}

/**
 * Copies `input` as plain data. Keys whose value is `undefined` are dropped,
 * as JSON.stringify drops them, because TypeScript configs often spread
 * optional values.
 */
export function toPlainData(input: unknown): PlainDataResult {
  const diagnostics: Diagnostic[] = [];
  const ancestors = new Set<object>();

  const visit = (value: unknown, segments: (string | number)[]): unknown => {
    const path = formatPath(segments);
    const problem = (code: string, message: string, expected: string, received: unknown): undefined => {
      diagnostics.push({ severity: "error", code, path, message, received, expected });
      return undefined;
    };

    switch (typeof value) {
      case "string":
        return !loneSurrogate.test(value)
          ? value
          : problem(
              "invalid-unicode",
              `The text ${quote(value)} contains a lone UTF-16 surrogate, which no output file can hold.`,
              "well-formed Unicode text",
              value,
            );
      case "number":
        return Number.isFinite(value)
          ? value
          : problem("unsupported-value", `${String(value)} is not a finite number.`, "a finite number", String(value));
      case "boolean":
        return value;
      case "undefined":
      case "function":
      case "symbol":
      case "bigint":
        return problem(
          "unsupported-value",
          `A config holds data only; found ${describeKind(value)}.`,
          expectedData,
          describeKind(value),
        );
    }
    if (value === null) {
      return null;
    }

    const object = value as object;
    if (ancestors.has(object)) {
      return problem(
        "circular-reference",
        "This value contains itself, so it has no JSON form.",
        "a value without cycles",
        "a reference to an enclosing value",
      );
    }
    const isArray = Array.isArray(object);
    const prototype = Object.getPrototypeOf(object) as object | null;
    if (!isArray && prototype !== Object.prototype && prototype !== null) {
      const kind = `an instance of ${(object.constructor as { name?: string } | undefined)?.name || "a class"}`;
      return problem("unsupported-value", `A config holds data only; found ${kind}.`, expectedData, kind);
    }

    ancestors.add(object);
    try {
      return isArray ? copyArray(object as unknown[], segments) : copyObject(object, segments);
    } finally {
      ancestors.delete(object);
    }
  };

  const copyArray = (array: unknown[], segments: (string | number)[]): unknown[] => {
    const copy: unknown[] = [];
    for (let index = 0; index < array.length; index++) {
      copy.push(visit(read(array, index, [...segments, index]), [...segments, index]));
    }
    return copy;
  };

  const copyObject = (object: object, segments: (string | number)[]): Record<string, unknown> => {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(object)) {
      const child = read(object, key, [...segments, key]);
      if (child !== undefined) {
        copy[key] = visit(child, [...segments, key]);
      }
    }
    return copy;
  };

  // A getter (or a Proxy) can throw; that is the config's error, not ours.
  const read = (container: object, key: string | number, segments: (string | number)[]): unknown => {
    try {
      return (container as Record<string | number, unknown>)[key];
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      diagnostics.push({
        severity: "error",
        code: "config-evaluation",
        path: formatPath(segments),
        message: `Reading this value threw an error: ${message}`,
        received: "an exception",
        expected: expectedData,
      });
      return undefined;
    }
  };

  let value: unknown;
  try {
    value = visit(input, []);
  } catch (error) {
    // Object.keys on a hostile Proxy, for example.
    const message = error instanceof Error ? error.message : String(error);
    diagnostics.push({
      severity: "error",
      code: "config-evaluation",
      path: "",
      message: `Reading the config threw an error: ${message}`,
      received: "an exception",
      expected: expectedData,
    });
  }
  return { value, diagnostics };
}

function describeKind(value: unknown): string {
  switch (typeof value) {
    case "function":
      return "a function";
    case "symbol":
      return "a symbol";
    case "bigint":
      return `the bigint ${String(value)}n`;
    default:
      return "undefined";
  }
}
