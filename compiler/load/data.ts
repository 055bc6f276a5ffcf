/**
 * JSON and YAML configs. YAML goes through the yaml package, which keeps each
 * value's line and column. JSON goes through JSON.parse, which was about 100
 * times faster on a config with 10,000 routes (8 ms against 840 ms on the
 * 2-core benchmark machine). The yaml package then runs only when a
 * diagnostic needs a line and column, or to report a syntax error or a
 * duplicate key, which JSON.parse would accept silently.
 */
import { createRequire } from "node:module";

import type * as Yaml from "yaml";

import { ConfigError } from "../diagnostics.js";
import type { LoadedConfig } from "./index.js";

// Loaded on first use and synchronously, because locating a diagnostic is synchronous.
let yamlModule: typeof Yaml | undefined;
function yaml(): typeof Yaml {
  yamlModule ??= createRequire(import.meta.url)("yaml") as typeof Yaml;
  return yamlModule;
}

type ConfigPath = readonly (string | number)[];

/** Parses a JSON config, with the yaml package only as a fallback for errors and locations. */
export function parseJsonConfig(file: string, text: string): LoadedConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return parseDataConfig(file, text);
  }
  if (hasDuplicateKey(text)) {
    return parseDataConfig(file, text);
  }

  let located: LoadedConfig | undefined;
  const locate = (path: ConfigPath) => {
    located ??= parseDataConfig(file, text);
    return located.locate?.(path);
  };
  return { file, value, locate };
}

/** Parses JSON or YAML text (JSON is a subset of YAML 1.2) into a LoadedConfig. */
export function parseDataConfig(file: string, text: string): LoadedConfig {
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });

  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0]);
        return {
          severity: "error" as const,
          code: "config-syntax",
          path: "",
          message: error.message.split("\n")[0]!,
          location: { file, line: position.line, column: position.col },
        };
      }),
    );
  }

  const locate = (path: ConfigPath) => {
    const node = findNode(document.contents, path);
    if (!node?.range) {
      return undefined;
    }
    const position = lineCounter.linePos(node.range[0]);
    return { line: position.line, column: position.col };
  };
  return { file, value: document.toJS(), locate };
}

/** Finds the deepest node along `path` so that a diagnostic points as close to the problem as it can. */
function findNode(root: unknown, path: ConfigPath): Yaml.Node | undefined {
  const { isMap, isScalar, isSeq } = yaml();
  let node = root as Yaml.Node | undefined;
  for (const segment of path) {
    let next: unknown;
    if (isMap(node)) {
      next = node.items.find((pair) => isScalar(pair.key) && pair.key.value === segment)?.value;
    } else if (isSeq(node) && typeof segment === "number") {
      next = node.items[segment];
    }
    if (next === undefined || next === null) {
      break;
    }
    node = next as Yaml.Node;
  }
  return node;
}

/**
 * Returns whether an object in the JSON text (already known to be valid)
 * repeats a key. One pass over the text: a string followed by `:` is a key of
 * the innermost open object.
 */
export function hasDuplicateKey(text: string): boolean {
  const objects: (Set<string> | undefined)[] = [];
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (character === "{") {
      objects.push(new Set());
    } else if (character === "[") {
      objects.push(undefined);
    } else if (character === "}" || character === "]") {
      objects.pop();
    } else if (character === '"') {
      const end = endOfString(text, index);
      let next = end + 1;
      while (next < text.length && /\s/.test(text[next]!)) {
        next++;
      }
      const keys = objects.at(-1);
      if (text[next] === ":" && keys !== undefined) {
        const literal = text.slice(index, end + 1);
        const key = literal.includes("\\") ? (JSON.parse(literal) as string) : literal.slice(1, -1);
        if (keys.has(key)) {
          return true;
        }
        keys.add(key);
      }
      index = end;
    }
  }
  return false;
}

/** Returns the index of the quote that closes the string opening at `start`. */
function endOfString(text: string, start: number): number {
  let index = start + 1;
  while (text[index] !== '"') {
    index += text[index] === "\\" ? 2 : 1;
  }
  return index;
}
