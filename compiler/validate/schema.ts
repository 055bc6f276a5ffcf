/**
 * Checks a loaded config against the JSON Schema, through the ajv validator
 * precompiled from it, after the tagged-union check has explained what it can.
 */
import type { ErrorObject } from "ajv";

import { closestMatch, formatPath, quote, type Diagnostic } from "../diagnostics.js";
import { validate } from "./schema-validator.js";
import { checkUnions } from "./unions.js";

/** Returns one diagnostic per schema violation, or an empty list when the config matches the schema. */
export function checkSchema(value: unknown): Diagnostic[] {
  const unions = checkUnions(value);
  if (validate(value) && unions.diagnostics.length === 0) {
    return [];
  }

  const diagnostics: Diagnostic[] = [...unions.diagnostics];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    // An `if`/`then` pair selects the branch of a tagged union; the branch's
    // own errors say what is wrong, so the `if` error only repeats them.
    if (error.keyword === "if") {
      continue;
    }
    const diagnostic = describeError(error, value);
    const key = `${diagnostic.path}\0${diagnostic.message}`;
    if (!seen.has(key) && !unions.explains(diagnostic.path)) {
      seen.add(key);
      diagnostics.push(diagnostic);
    }
  }
  return diagnostics;
}

function describeError(error: ErrorObject, root: unknown): Diagnostic {
  const segments = pointerSegments(error.instancePath);
  const path = formatPath(segments);
  const received = valueAt(root, segments);
  const where = path === "" ? "the config" : quote(path);
  const base = { severity: "error" as const, path };

  switch (error.keyword) {
    case "required": {
      const key = (error.params as { missingProperty: string }).missingProperty;
      return {
        ...base,
        code: "missing-key",
        path: formatPath([...segments, key]),
        message: `Required key ${quote(key)} is missing from ${where}.`,
        received,
        expected: describeSchema(propertiesOf(error.parentSchema)[key]),
      };
    }
    case "additionalProperties": {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys(propertiesOf(error.parentSchema));
      const suggestion = closestMatch(key, allowed);
      return {
        ...base,
        code: "unknown-key",
        path: formatPath([...segments, key]),
        message: `Unknown key ${quote(key)} in ${where}.`,
        received: key,
        expected: allowed.join(", "),
        ...(suggestion ? { hint: `Did you mean ${quote(suggestion)}?` } : {}),
      };
    }
    case "type": {
      const type = (error.params as { type: string }).type;
      return {
        ...base,
        code: "invalid-type",
        message: `Expected ${article(type)}, received ${describeValue(received)}.`,
        received,
        expected: type,
        ...unquotedHint(type, received),
      };
    }
    case "enum":
    case "const": {
      const allowed = (error.keyword === "enum"
        ? (error.params as { allowedValues: unknown[] }).allowedValues
        : [(error.params as { allowedValue: unknown }).allowedValue]
      ).map((item) => quote(item));
      const suggestion =
        typeof received === "string"
          ? closestMatch(received, allowed.map((item) => JSON.parse(item) as unknown).filter(isString))
          : undefined;
      return {
        ...base,
        code: "invalid-value",
        message: `Invalid value ${quote(received)}: expected ${allowed.join(" or ")}.`,
        received,
        expected: allowed.join(" | "),
        ...(suggestion ? { hint: `Did you mean ${quote(suggestion)}?` } : {}),
      };
    }
    case "pattern":
      return {
        ...base,
        code: "invalid-format",
        message: `Invalid value ${quote(received)}: it must match ${(error.params as { pattern: string }).pattern}.`,
        received,
        expected: (error.params as { pattern: string }).pattern,
      };
    case "minimum":
    case "maximum": {
      const { comparison, limit } = error.params as { comparison: string; limit: number };
      return {
        ...base,
        code: "out-of-range",
        message: `Invalid value ${quote(received)}: it must be ${comparison} ${limit}.`,
        received,
        expected: `${comparison} ${limit}`,
      };
    }
    case "minItems": {
      const { limit } = error.params as { limit: number };
      return {
        ...base,
        code: "too-few-items",
        message: `Expected at least ${limit} ${limit === 1 ? "item" : "items"} in ${where}.`,
        received,
        expected: `at least ${limit} items`,
      };
    }
    default:
      return {
        ...base,
        code: "schema",
        message: `Invalid value at ${where}: ${error.message ?? error.keyword}.`,
        received,
        expected: describeSchema(error.parentSchema),
      };
  }
}

function pointerSegments(pointer: string): (string | number)[] {
  if (pointer === "") {
    return [];
  }
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function valueAt(root: unknown, segments: readonly (string | number)[]): unknown {
  let value = root;
  for (const segment of segments) {
    value = (value as Record<string | number, unknown> | undefined)?.[segment];
  }
  return value;
}

function propertiesOf(schema: unknown): Record<string, unknown> {
  return ((schema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});
}

function describeValue(value: unknown): string {
  if (value === null) {
    return "null";
  }
  if (Array.isArray(value)) {
    return "an array";
  }
  if (typeof value === "object") {
    return "an object";
  }
  return `${typeof value} ${quote(value)}`;
}

/** Suggests the unquoted value when a number or boolean was written as a string. */
function unquotedHint(type: string, received: unknown): { hint?: string } {
  if (typeof received !== "string") {
    return {};
  }
  const numeric = (type === "integer" || type === "number") && /^-?\d+(\.\d+)?$/.test(received.trim());
  const boolean = type === "boolean" && /^(true|false)$/.test(received.trim());
  return numeric || boolean ? { hint: `Did you mean ${received.trim()}, without quotes?` } : {};
}

/** Describes what a schema node accepts, for a diagnostic's `expected`. */
function describeSchema(node: unknown): string {
  const schema = (node ?? {}) as {
    type?: string | string[];
    enum?: unknown[];
    const?: unknown;
    pattern?: string;
    $ref?: string;
    anyOf?: unknown[];
    description?: string;
  };
  if (schema.enum) {
    return schema.enum.map((item) => quote(item)).join(" | ");
  }
  if ("const" in schema) {
    return quote(schema.const);
  }
  if (schema.$ref) {
    return `an object (${schema.$ref.replace(/^#\/definitions\//, "")})`;
  }
  if (schema.pattern) {
    return `a string matching ${schema.pattern}`;
  }
  if (schema.type) {
    return [schema.type].flat().map(article).join(" or ");
  }
  return "a value that matches the schema";
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}
