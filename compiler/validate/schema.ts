/** Checks a loaded config against the JSON Schema, through the ajv validator precompiled from it. */
import type { ErrorObject } from "ajv";

import { closestMatch, formatPath, type Diagnostic } from "../diagnostics.js";
import { validate } from "./schema-validator.js";

/** Returns one diagnostic per schema violation, or an empty list when the config matches the schema. */
export function checkSchema(value: unknown): Diagnostic[] {
  if (validate(value)) {
    return [];
  }

  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    // An `if`/`then` pair selects the branch of a tagged union; the branch's
    // own errors say what is wrong, so the `if` error only repeats them.
    if (error.keyword === "if") {
      continue;
    }
    const diagnostic = describeError(error, value);
    const key = `${diagnostic.path}\0${diagnostic.message}`;
    if (!seen.has(key)) {
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
  const where = path === "" ? "the config" : `"${path}"`;
  const base = { severity: "error" as const, path };

  switch (error.keyword) {
    case "required": {
      const key = (error.params as { missingProperty: string }).missingProperty;
      return {
        ...base,
        code: "missing-key",
        path: formatPath([...segments, key]),
        message: `Required key "${key}" is missing from ${where}.`,
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
        message: `Unknown key "${key}" in ${where}.`,
        received: key,
        expected: allowed.join(", "),
        ...(suggestion ? { hint: `Did you mean "${suggestion}"?` } : {}),
      };
    }
    case "type":
      return {
        ...base,
        code: "invalid-type",
        message: `Expected ${article((error.params as { type: string }).type)}, received ${describeValue(received)}.`,
        received,
        expected: (error.params as { type: string }).type,
      };
    case "enum":
    case "const": {
      const allowed = (error.keyword === "enum"
        ? (error.params as { allowedValues: unknown[] }).allowedValues
        : [(error.params as { allowedValue: unknown }).allowedValue]
      ).map((item) => JSON.stringify(item));
      const suggestion =
        typeof received === "string"
          ? closestMatch(received, allowed.map((item) => JSON.parse(item) as unknown).filter(isString))
          : undefined;
      return {
        ...base,
        code: "invalid-value",
        message: `Invalid value ${JSON.stringify(received)}: expected ${allowed.join(" or ")}.`,
        received,
        expected: allowed.join(" | "),
        ...(suggestion ? { hint: `Did you mean "${suggestion}"?` } : {}),
      };
    }
    case "pattern":
      return {
        ...base,
        code: "invalid-format",
        message: `Invalid value ${JSON.stringify(received)}: it must match ${(error.params as { pattern: string }).pattern}.`,
        received,
        expected: (error.params as { pattern: string }).pattern,
      };
    case "minimum":
    case "maximum": {
      const { comparison, limit } = error.params as { comparison: string; limit: number };
      return {
        ...base,
        code: "out-of-range",
        message: `Invalid value ${JSON.stringify(received)}: it must be ${comparison} ${limit}.`,
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
  return `${typeof value} ${JSON.stringify(value)}`;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}
