import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { build } from "../compiler/index.js";
import { assertTreeMatches, readTree } from "./support/golden.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const fixturesDir = path.join(root, "fixtures");
const scratch = mkdtempSync(path.join(tmpdir(), "workerd-compose-golden-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const fixtures = readdirSync(fixturesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

describe("golden fixtures", () => {
  test("fixtures exist", () => {
    for (const name of ["example1", "example2", "example-nsenter"]) {
      assert.ok(fixtures.includes(name), `fixtures/${name} is missing`);
    }
  });

  for (const name of fixtures) {
    test(`${name} matches expected tree`, async () => {
      const outDir = path.join(scratch, name);
      const result = await build({ config: path.join(fixturesDir, name, "workerd-compose.config.ts"), outDir });
      assert.deepEqual(result.diagnostics, []);
      assertTreeMatches(outDir, path.join(fixturesDir, name, "expected"));
    });

    test(`${name} builds identically twice`, async () => {
      const first = path.join(scratch, `${name}-first`);
      const second = path.join(scratch, `${name}-second`);
      const config = path.join(fixturesDir, name, "workerd-compose.config.ts");
      await build({ config, outDir: first });
      const rebuild = await build({ config, outDir: second });
      assert.deepEqual(readTree(second), readTree(first));
      assert.ok(rebuild.report, "the second build wrote nothing");

      // Building again into the same directory rewrites nothing.
      const again = await build({ config, outDir: second });
      assert.deepEqual(again.report?.written, []);
    });
  }
});

describe("installed command", () => {
  test("build writes the example1 tree", () => {
    const outDir = path.join(scratch, "cli-example1");
    const run = spawnSync(
      process.execPath,
      [path.join(root, "bin/workerd-compose.js"), "build", "--config", "fixtures/example1/workerd-compose.config.ts", "--out", outDir],
      { cwd: root, encoding: "utf8" },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, "");
    assertTreeMatches(outDir, path.join(fixturesDir, "example1", "expected"));
  });
});
