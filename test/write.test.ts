/**
 * Safe writes, tested on the real CLI. Faults come from strace, which makes
 * the Nth fsync, rename or unlink system call of the build fail or kills the
 * process at it, so a build stops at an exact step without test hooks in
 * the code.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { compile, type WorkerdComposeConfig } from "../compiler/index.js";
import { journalName, manifestName } from "../compiler/write/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = path.join(root, "bin/workerd-compose.js");
const scratch = mkdtempSync(path.join(tmpdir(), "workerd-compose-write-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** First version: two upstream containers. */
function firstConfig(): WorkerdComposeConfig {
  return {
    compatibilityDate: "2024-12-01",
    sockets: [{ name: "http", port: 80 }],
    networks: [{ name: "mynet" }],
    upstreams: [
      { name: "whoami", container: { image: "docker.io/traefik/whoami", network: "mynet" } },
      { name: "other", container: { image: "docker.io/library/nginx", network: "mynet" } },
    ],
    routes: [
      { host: "whoami.example.com", upstream: "whoami" },
      { host: "other.example.com", upstream: "other" },
    ],
    deployment: { target: "quadlet", image: "localhost/workerd", network: "mynet" },
  };
}

/** Second version: one upstream fewer, so files change and one becomes stale. */
function secondConfig(): WorkerdComposeConfig {
  const config = firstConfig();
  config.upstreams.pop();
  config.routes.pop();
  return config;
}

let counter = 0;
function writeConfig(config: WorkerdComposeConfig): string {
  const file = path.join(scratch, `config-${counter++}.json`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

function runCli(args: string[], fault?: string[]) {
  const command = fault ? "strace" : process.execPath;
  const prefix = fault ? ["-f", "-qq", "-o", "/dev/null", ...fault, process.execPath] : [];
  return spawnSync(command, [...prefix, cli, ...args], { encoding: "utf8", cwd: scratch });
}

interface FileState {
  contents: string;
  mtimeMs: number;
  inode: number;
}

/** Records every file below `directory`, hidden ones included, with content, modification time and inode. */
function snapshot(directory: string): Map<string, FileState> {
  const files = new Map<string, FileState>();
  const visit = (relative: string) => {
    for (const entry of readdirSync(path.join(directory, relative), { withFileTypes: true })) {
      const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        visit(child);
      } else {
        const stat = statSync(path.join(directory, child));
        files.set(child, { contents: readFileSync(path.join(directory, child), "utf8"), mtimeMs: stat.mtimeMs, inode: stat.ino });
      }
    }
  };
  visit("");
  return files;
}

/** Builds the first config into a new directory, with every file dated in the past, plus one user file. */
function previousOutput(name: string): { outDir: string; before: Map<string, FileState> } {
  const outDir = path.join(scratch, name);
  const run = runCli(["build", "--config", writeConfig(firstConfig()), "--out", outDir]);
  assert.equal(run.status, 0, run.stderr);
  writeFileSync(path.join(outDir, "containers/systemd/notes.txt"), "the user's own file\n");
  const past = new Date("2025-01-01T00:00:00Z");
  for (const file of snapshot(outDir).keys()) {
    utimesSync(path.join(outDir, file), past, past);
  }
  return { outDir, before: snapshot(outDir) };
}

const today = new Date();

/** Output paths of a config, as the library compiles them. */
function outputOf(config: WorkerdComposeConfig): Map<string, string> {
  const result = compile(config, { today });
  assert.ok(result.files.length > 0, JSON.stringify(result.diagnostics));
  return new Map(result.files.map((file) => [file.path, Buffer.from(file.contents).toString("base64")]));
}

/** Paths whose content differs between the two configs' outputs, and paths only the first has. */
function differences(first: WorkerdComposeConfig, second: WorkerdComposeConfig): { changed: string[]; stale: string[] } {
  const before = outputOf(first);
  const after = outputOf(second);
  return {
    changed: [...after].filter(([file, contents]) => before.get(file) !== contents).map(([file]) => file).sort(),
    stale: [...before.keys()].filter((file) => !after.has(file)).sort(),
  };
}

function assertUnchanged(outDir: string, before: Map<string, FileState>): void {
  assert.deepEqual(snapshot(outDir), before);
}

describe("incremental writes", () => {
  test("unchanged files keep their mtime", () => {
    const { outDir, before } = previousOutput("unchanged");
    const run = runCli(["build", "--config", writeConfig(firstConfig()), "--out", outDir]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`0 written, ${outputOf(firstConfig()).size} unchanged, 0 removed`));
    assertUnchanged(outDir, before);
  });

  test("only changed files are rewritten", () => {
    const { outDir, before } = previousOutput("changed");
    const run = runCli(["build", "--config", writeConfig(secondConfig()), "--out", outDir]);
    assert.equal(run.status, 0, run.stderr);
    const after = snapshot(outDir);

    const rewritten = [...before.keys()].filter((file) => after.get(file)?.mtimeMs !== before.get(file)!.mtimeMs);
    const { changed, stale } = differences(firstConfig(), secondConfig());
    assert.deepEqual(stale, ["containers/systemd/other.container"]);
    assert.deepEqual(rewritten.sort(), [manifestName, ...changed, ...stale].sort());
    assert.equal(after.has("containers/systemd/other.container"), false, "the stale file was kept");
    assert.equal(after.get("containers/systemd/notes.txt")?.contents, "the user's own file\n");
    assert.deepEqual(JSON.parse(after.get(manifestName)!.contents).files.includes("containers/systemd/other.container"), false);
  });

  test("user files are never removed", () => {
    const { outDir } = previousOutput("user-files");
    // A manifest that names a user file and a path outside the tree removes neither.
    const outside = path.join(scratch, "outside.txt");
    writeFileSync(outside, "outside\n");
    writeFileSync(
      path.join(outDir, manifestName),
      JSON.stringify({ files: ["../outside.txt", "/etc/hostname", "containers/systemd/missing.container"] }),
    );
    const run = runCli(["build", "--config", writeConfig(firstConfig()), "--out", outDir]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(readFileSync(outside, "utf8"), "outside\n");
    assert.equal(readFileSync(path.join(outDir, "containers/systemd/notes.txt"), "utf8"), "the user's own file\n");
  });
});

describe("build --check", () => {
  test("missing output lists all, writes nothing", () => {
    const outDir = path.join(scratch, "check-missing");
    const run = runCli(["build", "--check", "--config", writeConfig(firstConfig()), "--out", outDir]);
    assert.equal(run.status, 1, run.stderr);
    assert.deepEqual(run.stdout.split("\n").filter(Boolean), [...outputOf(firstConfig()).keys()].sort());
    assert.equal(existsSync(outDir), false, "--check created the output directory");
  });

  test("current output exits 0 silently", () => {
    const { outDir, before } = previousOutput("check-current");
    const run = runCli(["build", "--check", "--config", writeConfig(firstConfig()), "--out", outDir]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, "");
    assertUnchanged(outDir, before);
  });

  test("differing and stale files are listed", () => {
    const { outDir } = previousOutput("check-differing");
    writeFileSync(path.join(outDir, "workerd/library.js"), "edited by hand\n");
    const past = new Date("2025-01-01T00:00:00Z");
    utimesSync(path.join(outDir, "workerd/library.js"), past, past);
    const before = snapshot(outDir);

    const run = runCli(["build", "--check", "--config", writeConfig(secondConfig()), "--out", outDir]);
    assert.equal(run.status, 1, run.stderr);
    const { changed, stale } = differences(firstConfig(), secondConfig());
    const listed = [...new Set([...changed, ...stale, "workerd/library.js"])].sort();
    assert.deepEqual(run.stdout.split("\n").filter(Boolean), listed);
    assert.match(run.stderr, /not up to date/);
    assertUnchanged(outDir, before);
  });
});

describe("failed and interrupted builds", () => {
  // The system calls of a build that changes files, in order: the journal's
  // fsync and rename, and the output directory's fsync. Then one fsync per
  // staged file, one rename per file and one fsync per directory of a renamed
  // file. Last come the journal rename that commits and the cleanup unlinks.

  test("directories flushed before commit", () => {
    const { outDir } = previousOutput("sync-directories");
    const trace = path.join(scratch, "sync-directories.trace");
    const run = runCli(
      ["build", "--config", writeConfig(secondConfig()), "--out", outDir],
      ["-e", "trace=fsync,rename", "-y", "-o", trace],
    );
    assert.equal(run.status, 0, run.stderr);
    const calls = readFileSync(trace, "utf8").split("\n");
    const commit = calls.findLastIndex((line) => line.includes(`"${path.join(outDir, journalName)}"`));
    assert.ok(commit > 0, "the journal's commit rename is missing from the trace");
    const flushed = calls.slice(0, commit).flatMap((line) => /fsync\(\d+<([^>]*)>\)/.exec(line)?.[1] ?? []);
    for (const directory of [outDir, path.join(outDir, "containers/systemd"), path.join(outDir, "workerd")]) {
      assert.ok(flushed.includes(directory), `${directory} is not flushed before the commit; fsync calls: ${flushed.join(", ")}`);
    }
  });

  test("failed staging keeps previous output", () => {
    const { outDir, before } = previousOutput("fail-staging");
    const run = runCli(
      ["build", "--config", writeConfig(secondConfig()), "--out", outDir],
      ["-e", "trace=fsync", "-e", "inject=fsync:error=EIO:when=3"],
    );
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /error \[write-failed\] Cannot write .*EIO: i\/o error\. The previous output in .* is unchanged\./);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
    assertUnchanged(outDir, before);
  });

  test("failed switch rolls back", () => {
    const { outDir, before } = previousOutput("fail-switch");
    const run = runCli(
      ["build", "--config", writeConfig(secondConfig()), "--out", outDir],
      ["-e", "trace=rename", "-e", "inject=rename:error=EACCES:when=4"],
    );
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /error \[write-failed\]/);
    assertUnchanged(outDir, before);
  });

  test("kill while staging keeps output", () => {
    const { outDir, before } = previousOutput("kill-staging");
    const config = writeConfig(secondConfig());
    const run = runCli(["build", "--config", config, "--out", outDir], [
      "-e",
      "trace=fsync",
      "-e",
      "inject=fsync:signal=SIGKILL:when=3",
    ]);
    assert.equal(run.signal, "SIGKILL", run.stderr);

    // Every target is as before; only hidden staged files and the journal were added.
    const after = snapshot(outDir);
    for (const [file, state] of before) {
      assert.deepEqual(after.get(file), state, file);
    }
    const added = [...after.keys()].filter((file) => !before.has(file));
    assert.ok(added.includes(journalName), added.join(", "));
    assert.ok(added.every((file) => file === journalName || /\/\.[^/]+\.\d+\.workerd-compose-new$|^\.\.?[^/]+\.\d+\.workerd-compose-new$/.test(file)), added.join(", "));

    // The next build removes them before it writes.
    const rerun = runCli(["build", "--config", writeConfig(firstConfig()), "--out", outDir]);
    assert.equal(rerun.status, 0, rerun.stderr);
    assertUnchanged(outDir, before);
  });

  test("kill while switching is rolled back", () => {
    const { outDir, before } = previousOutput("kill-switch");
    const run = runCli(["build", "--config", writeConfig(secondConfig()), "--out", outDir], [
      "-e",
      "trace=rename",
      "-e",
      "inject=rename:signal=SIGKILL:when=4",
    ]);
    assert.equal(run.signal, "SIGKILL", run.stderr);
    const mixed = snapshot(outDir);
    const replaced = [...before.keys()].filter((file) => mixed.get(file)?.inode !== before.get(file)!.inode);
    assert.ok(replaced.length > 0, "the kill came before any target was replaced");

    // Any later build first restores the previous output, inodes and mtimes included.
    const rerun = runCli(["build", "--check", "--config", writeConfig(firstConfig()), "--out", outDir]);
    assert.equal(rerun.status, 1, "--check reports the half-switched tree");
    const rebuild = runCli(["build", "--config", writeConfig(firstConfig()), "--out", outDir]);
    assert.equal(rebuild.status, 0, rebuild.stderr);
    assertUnchanged(outDir, before);
  });

  test("kill after commit is finished", () => {
    const { outDir } = previousOutput("kill-commit");
    const config = writeConfig(secondConfig());
    const run = runCli(["build", "--config", config, "--out", outDir], [
      "-e",
      "trace=unlink",
      "-e",
      "inject=unlink:signal=SIGKILL:when=1",
    ]);
    assert.equal(run.signal, "SIGKILL", run.stderr);
    assert.ok(existsSync(path.join(outDir, journalName)), "the journal was removed before the kill");

    const rerun = runCli(["build", "--config", config, "--out", outDir]);
    assert.equal(rerun.status, 0, rerun.stderr);
    const after = snapshot(outDir);
    assert.equal(after.has("containers/systemd/other.container"), false);
    const leftovers = [...after.keys()].filter((file) => /\.workerd-compose-(new|old)$/.test(file));
    assert.deepEqual(leftovers, []);
    assert.equal(after.has(journalName), false);
  });

  test("directory in the way is a user error", () => {
    const { outDir, before } = previousOutput("directory-in-way");
    rmSync(path.join(outDir, "workerd/fetch.js"));
    mkdirSync(path.join(outDir, "workerd/fetch.js"));
    before.delete("workerd/fetch.js");
    const run = runCli(["build", "--config", writeConfig(firstConfig()), "--out", outDir]);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /error \[write-failed\] Cannot write workerd\/fetch\.js: a directory is in the way\./);
    assertUnchanged(outDir, before);
  });
});
