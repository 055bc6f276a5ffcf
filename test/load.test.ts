/** Loading JSON configs: the JSON.parse fast path must report what the yaml parser would. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";

import { ConfigError, loadConfigFile } from "../compiler/index.js";
import { hasDuplicateKey } from "../compiler/load/data.js";

const scratch = mkdtempSync(path.join(tmpdir(), "workerd-compose-load-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe("hasDuplicateKey", () => {
  const cases: [string, boolean][] = [
    ['{"a": 1, "b": {"a": 2}}', false],
    ['{"a": 1, "a": 2}', true],
    ['[{"a": 1}, {"a": 1}]', false],
    ['{"a\\u0062": 1, "ab": 2}', true],
    ['{"x": "a\\"", "y": ["x", "x"]}', false],
    ['{"a": {"b": 1}, "a": 3}', true],
    ['{"k": "{\\"k\\": 1}", "v": 2}', false],
  ];
  for (const [text, expected] of cases) {
    test(`${text} gives ${expected}`, () => {
      assert.equal(hasDuplicateKey(text), expected);
    });
  }
});

describe("JSON config loading", () => {
  test("duplicate key is an error", async () => {
    const file = path.join(scratch, "duplicate.json");
    writeFileSync(file, '{\n  "compatibilityDate": "2024-12-01",\n  "compatibilityDate": "2024-12-02"\n}\n');
    await assert.rejects(loadConfigFile(file), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const diagnostic = error.diagnostics[0]!;
      assert.equal(diagnostic.code, "duplicate-key");
      assert.equal(diagnostic.path, "compatibilityDate");
      assert.equal(diagnostic.location?.line, 3);
      return true;
    });
  });

  test("values are located lazily", async () => {
    const file = path.join(scratch, "valid.json");
    writeFileSync(file, '{\n  "routes": [\n    {"host": "a.example", "upstream": "x"}\n  ]\n}\n');
    const loaded = await loadConfigFile(file);
    assert.deepEqual(loaded.value, { routes: [{ host: "a.example", upstream: "x" }] });
    assert.deepEqual(loaded.locate?.(["routes", 0, "upstream"]), { line: 3, column: 39 });
  });

  test("syntax error has line and column", async () => {
    const file = path.join(scratch, "broken.json");
    writeFileSync(file, '{\n  "routes": [,]\n}\n');
    await assert.rejects(loadConfigFile(file), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.diagnostics[0]!.location?.line, 2);
      return true;
    });
  });
});

describe("bundled config cache", () => {
  test("rebuilds after an imported file changes", async () => {
    const directory = mkdtempSync(path.join(scratch, "cache-"));
    mkdirSync(path.join(directory, "node_modules"));
    const config = path.join(directory, "workerd-compose.config.ts");
    writeFileSync(config, 'import { port } from "./port.ts";\nexport default { port } as { port: number };\n');
    writeFileSync(path.join(directory, "port.ts"), "export const port: number = 80;\n");

    assert.deepEqual((await loadConfigFile(config)).value, { port: 80 });
    const cacheFolder = path.join(directory, "node_modules/.cache/workerd-compose");
    assert.equal(readdirSync(cacheFolder).length, 1, "the bundle was not cached");
    assert.deepEqual((await loadConfigFile(config)).value, { port: 80 });

    writeFileSync(path.join(directory, "port.ts"), "export const port: number = 8080;\n");
    assert.deepEqual((await loadConfigFile(config)).value, { port: 8080 });
  });

  test("ignores a corrupt cache entry", async () => {
    const directory = mkdtempSync(path.join(scratch, "corrupt-"));
    mkdirSync(path.join(directory, "node_modules"));
    const config = path.join(directory, "workerd-compose.config.ts");
    writeFileSync(config, "export default { answer: 42 };\n");
    await loadConfigFile(config);

    const cacheFolder = path.join(directory, "node_modules/.cache/workerd-compose");
    for (const entry of readdirSync(cacheFolder)) {
      writeFileSync(path.join(cacheFolder, entry), "{ not json");
    }
    assert.deepEqual((await loadConfigFile(config)).value, { answer: 42 });
  });

  test("caches nothing without node_modules", async () => {
    const directory = mkdtempSync(path.join(tmpdir(), "workerd-compose-no-cache-"));
    try {
      const config = path.join(directory, "workerd-compose.config.ts");
      writeFileSync(config, "export default { answer: 42 };\n");
      assert.deepEqual((await loadConfigFile(config)).value, { answer: 42 });
      assert.deepEqual(readdirSync(directory), ["workerd-compose.config.ts"]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
