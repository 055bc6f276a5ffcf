/**
 * Golden trees: a fixture's expected/ folder contains every file a build writes.
 * A missing, extra or changed file fails with a diff; setting UPDATE_GOLDEN=1
 * rewrites the expected trees instead.
 */
import assert from "node:assert/strict";
import { chmodSync, cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";

export const updateGolden = process.env.UPDATE_GOLDEN === "1";
const acceptHint = "If the change is intended, accept it with: UPDATE_GOLDEN=1 npm test";

export interface TreeFile {
  contents: Buffer;
  mode: number;
}

/** Reads every file below `root`, keyed by its path relative to `root` with `/` separators. */
export function readTree(root: string): Map<string, TreeFile> {
  const files = new Map<string, TreeFile>();
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else {
        const relative = path.relative(root, full).split(path.sep).join("/");
        files.set(relative, { contents: readFileSync(full), mode: statSync(full).mode & 0o777 });
      }
    }
  };
  if (existsSync(root)) {
    walk(root);
  }
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Compares the tree built into `actualDir` with `expectedDir`, or replaces `expectedDir` under UPDATE_GOLDEN=1. */
export function assertTreeMatches(actualDir: string, expectedDir: string): void {
  if (updateGolden) {
    rmSync(expectedDir, { recursive: true, force: true });
    cpSync(actualDir, expectedDir, { recursive: true });
    for (const [file, { mode }] of readTree(actualDir)) {
      chmodSync(path.join(expectedDir, file), mode);
    }
    return;
  }

  const actual = readTree(actualDir);
  const expected = readTree(expectedDir);
  const missing = [...expected.keys()].filter((file) => !actual.has(file));
  const extra = [...actual.keys()].filter((file) => !expected.has(file));
  assert.deepEqual(missing, [], `files in ${expectedDir} that the build no longer writes. ${acceptHint}`);
  assert.deepEqual(extra, [], `files the build writes that ${expectedDir} lacks. ${acceptHint}`);

  for (const [file, expectedFile] of expected) {
    const actualFile = actual.get(file)!;
    if (!actualFile.contents.equals(expectedFile.contents)) {
      // Text files fail with a line diff; binary ones with their sizes.
      const message = `${file} differs from ${expectedDir}/${file}. ${acceptHint}`;
      if (isText(actualFile.contents) && isText(expectedFile.contents)) {
        assert.equal(actualFile.contents.toString("utf8"), expectedFile.contents.toString("utf8"), message);
      }
      assert.fail(`${message} (${actualFile.contents.length} bytes, expected ${expectedFile.contents.length})`);
    }
    // Only the executable bit is compared: the other bits of a checkout follow the umask.
    assert.equal(
      isExecutable(actualFile.mode),
      isExecutable(expectedFile.mode),
      `${file} differs in its executable bit from ${expectedDir}/${file}. ${acceptHint}`,
    );
  }
}

function isText(contents: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(contents);
    return !contents.includes(0);
  } catch {
    return false;
  }
}

function isExecutable(mode: number): boolean {
  return (mode & 0o100) !== 0;
}
