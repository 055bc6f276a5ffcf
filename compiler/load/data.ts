/** JSON and YAML configs, parsed with the yaml package so that every value keeps its line and column. */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";

import { ConfigError } from "../diagnostics.js";
import type { LoadedConfig } from "./index.js";

/** Parses JSON or YAML text (JSON is a subset of YAML 1.2) into a LoadedConfig. */
export function parseDataConfig(file: string, text: string): LoadedConfig {
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

  const locate = (path: readonly (string | number)[]) => {
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
function findNode(root: unknown, path: readonly (string | number)[]): Node | undefined {
  let node = root as Node | undefined;
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
    node = next as Node;
  }
  return node;
}
