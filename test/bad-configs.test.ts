/**
 * The bad-input corpus: every file in test/bad-configs/ is a broken config
 * whose first lines state, as comments, the exact diagnostics the CLI prints
 * for it (`// expect: LINE` in JSON and TypeScript, `# expect: LINE` in YAML)
 * and optionally extra arguments (`// args: --strict`). The comment lines of a
 * JSON case are blanked before the CLI reads it, so line numbers stay those of
 * the file. Each case runs through the real CLI, which must exit 1 with
 * exactly those lines on stderr, nothing on stdout and no stack trace.
 *
 * Adding a case is adding one file. `UPDATE_GOLDEN=1 npm test` writes the
 * expect lines of new and changed cases; review them in the diff.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { build, type Diagnostic } from "../compiler/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const casesDirectory = path.join(root, "test/bad-configs");
const cli = path.join(root, "bin/workerd-compose.js");
const scratch = mkdtempSync(path.join(tmpdir(), "workerd-compose-bad-configs-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Case {
  name: string;
  /** The config text without its expect and args lines. */
  body: string;
  args: string[];
  expected: string[];
  /** Comment marker of the file's language. */
  marker: "//" | "#";
}

function readCase(name: string): Case {
  const marker = /\.(ya?ml|toml)$/.test(name) ? "#" : "//";
  const lines = readFileSync(path.join(casesDirectory, name), "utf8").split("\n");
  const header = new RegExp(`^${marker} (expect|args):(?: (.*))?$`);
  let count = 0;
  const expected: string[] = [];
  const args: string[] = [];
  for (; count < lines.length; count++) {
    const match = header.exec(lines[count]!);
    if (!match) {
      break;
    }
    if (match[1] === "expect") {
      expected.push(match[2] ?? "");
    } else {
      args.push(...(match[2] ?? "").split(" ").filter(Boolean));
    }
  }
  return { name, body: lines.slice(count).join("\n"), args, expected, marker };
}

function headerOf(testCase: Case, expected: readonly string[]): string[] {
  return [
    ...(testCase.args.length > 0 ? [`${testCase.marker} args: ${testCase.args.join(" ")}`] : []),
    ...expected.map((line) => `${testCase.marker} expect: ${line}`),
  ];
}

/**
 * Writes the case as the CLI reads it: JSON cannot hold comments, so there
 * the header lines become empty lines, which keeps every line number.
 */
function writeInput(testCase: Case, header: readonly string[]): string {
  const file = path.join(scratch, testCase.name);
  const shown = testCase.name.endsWith(".json") ? header.map(() => "") : header;
  writeFileSync(file, [...shown, testCase.body].join("\n"));
  return file;
}

interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stderr lines with the config's path removed from their start. */
  lines: string[];
}

async function runCase(testCase: Case, header: readonly string[]): Promise<CliRun> {
  const file = writeInput(testCase, header);
  const outDir = path.join(scratch, `out-${testCase.name}`);
  const child = spawn(process.execPath, [cli, "build", "--config", testCase.name, "--out", outDir, ...testCase.args], {
    cwd: scratch,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [status] = (await once(child, "close")) as [number | null];
  const lines = stderr
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => (line.startsWith(`${file}:`) ? line.slice(file.length + 1).trimStart() : line));
  return { status, stdout, stderr, lines };
}

/** Runs `work` over `items`, as many at a time as there are processors. */
async function inPool<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(2, availableParallelism()) }, worker));
  return results;
}

/** With UPDATE_GOLDEN=1: rewrites the expect lines until the CLI's output and the header agree. */
async function acceptOutput(testCase: Case): Promise<CliRun> {
  let header = headerOf(testCase, testCase.expected);
  for (let attempt = 0; attempt < 3; attempt++) {
    const run = await runCase(testCase, header);
    const wanted = headerOf(testCase, run.lines);
    if (wanted.join("\n") === header.join("\n")) {
      writeFileSync(path.join(casesDirectory, testCase.name), [...header, testCase.body].join("\n"));
      return run;
    }
    header = wanted;
  }
  throw new Error(`${testCase.name}: the expect lines do not settle`);
}

const cases = readdirSync(casesDirectory)
  .filter((name) => name !== "README.md")
  .sort()
  .map(readCase);
const runs = new Map<string, CliRun>();

describe("bad-config corpus", () => {
  before(async () => {
    const update = process.env.UPDATE_GOLDEN === "1";
    const results = await inPool(cases, (testCase) =>
      update ? acceptOutput(testCase) : runCase(testCase, headerOf(testCase, testCase.expected)),
    );
    cases.forEach((testCase, index) => runs.set(testCase.name, results[index]!));
  });

  test("holds at least 100 cases", () => {
    assert.ok(cases.length >= 100, `only ${cases.length} cases`);
  });

  for (const testCase of cases) {
    test(testCase.name, () => {
      const run = runs.get(testCase.name)!;
      assert.doesNotMatch(run.stderr, /\n\s+at |internal error/, "the CLI printed a stack trace");
      assert.equal(run.status, 1, run.stderr);
      assert.equal(run.stdout, "", "a failed build printed on stdout");
      assert.ok(testCase.expected.length > 0, `${testCase.name} has no expect lines: run UPDATE_GOLDEN=1 npm test`);
      assert.deepEqual(run.lines, testCase.expected, "run UPDATE_GOLDEN=1 npm test to accept the new output");
    });
  }
});

describe("corpus diagnostics as data", () => {
  test("every diagnostic is complete", async () => {
    for (const testCase of cases) {
      const file = writeInput(testCase, headerOf(testCase, testCase.expected));
      const result = await build({
        config: file,
        outDir: path.join(scratch, "data-out"),
        check: true,
        strict: testCase.args.includes("--strict"),
      });
      assert.ok(result.diagnostics.length > 0, testCase.name);
      for (const diagnostic of result.diagnostics) {
        assertComplete(testCase.name, diagnostic);
      }
    }
  });
});

function assertComplete(name: string, diagnostic: Diagnostic): void {
  const where = `${name}: ${JSON.stringify(diagnostic)}`;
  assert.match(diagnostic.code, /^[a-z]+(-[a-z]+)*$/, where);
  assert.equal(typeof diagnostic.path, "string", where);
  assert.ok(diagnostic.message.length > 0, where);
  assert.ok("received" in diagnostic, `${where} has no received value`);
  assert.ok(typeof diagnostic.expected === "string" && diagnostic.expected.length > 0, `${where} has no expected`);
  assert.ok(diagnostic.location?.file, `${where} has no file`);
}
