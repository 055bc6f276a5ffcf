/**
 * Writes an output tree safely: each file goes to a temporary name and is
 * renamed into place, a file whose content did not change is left untouched
 * (its modification time stays, so make rebuilds nothing downstream), and a
 * manifest of generated files lets the next build remove the files it no
 * longer produces without touching files the user put there.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

import type { OutputFile } from "../compile.js";

export const manifestName = ".workerd-compose-manifest.json";

export interface WriteReport {
  written: string[];
  unchanged: string[];
  removed: string[];
}

/** Writes `files` below `outDir`, creating it when needed. */
export function writeOutputTree(outDir: string, files: readonly OutputFile[]): WriteReport {
  const report: WriteReport = { written: [], unchanged: [], removed: [] };
  mkdirSync(outDir, { recursive: true });

  for (const file of files) {
    const target = path.join(outDir, ...file.path.split("/"));
    if (isCurrent(target, file)) {
      report.unchanged.push(file.path);
      continue;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    const temporary = `${target}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents, { mode: file.mode });
    chmodSync(temporary, file.mode);
    renameSync(temporary, target);
    report.written.push(file.path);
  }

  // Remove what the previous build generated and this one did not.
  const current = new Set(files.map((file) => file.path));
  for (const stale of readManifest(outDir).filter((entry) => !current.has(entry))) {
    const target = path.join(outDir, ...stale.split("/"));
    rmSync(target, { force: true });
    removeEmptyParents(outDir, path.dirname(target));
    report.removed.push(stale);
  }

  const manifest = `${JSON.stringify({ files: [...current].sort() }, null, 2)}\n`;
  const manifestPath = path.join(outDir, manifestName);
  if (readText(manifestPath) !== manifest) {
    writeFileSync(`${manifestPath}.tmp`, manifest);
    renameSync(`${manifestPath}.tmp`, manifestPath);
  }
  return report;
}

/** Returns the paths that differ between `files` and the tree in `outDir`, for `build --check`. */
export function listOutdatedFiles(outDir: string, files: readonly OutputFile[]): string[] {
  const current = new Set(files.map((file) => file.path));
  const outdated = files.filter((file) => !isCurrent(path.join(outDir, ...file.path.split("/")), file));
  const stale = readManifest(outDir).filter((entry) => !current.has(entry));
  return [...outdated.map((file) => file.path), ...stale].sort();
}

function isCurrent(target: string, file: OutputFile): boolean {
  try {
    const expected = typeof file.contents === "string" ? Buffer.from(file.contents) : file.contents;
    return readFileSync(target).equals(expected) && (statSync(target).mode & 0o777) === file.mode;
  } catch {
    return false;
  }
}

function readManifest(outDir: string): string[] {
  const text = readText(path.join(outDir, manifestName));
  if (text === undefined) {
    return [];
  }
  try {
    const files = (JSON.parse(text) as { files?: unknown }).files;
    // Entries that could escape the output directory are ignored, so a
    // tampered manifest cannot delete files elsewhere.
    return Array.isArray(files)
      ? files.filter(
          (entry): entry is string =>
            typeof entry === "string" && !entry.startsWith("/") && !entry.split("/").includes(".."),
        )
      : [];
  } catch {
    return [];
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function removeEmptyParents(root: string, directory: string): void {
  const top = path.resolve(root);
  let current = path.resolve(directory);
  while (current.startsWith(`${top}${path.sep}`)) {
    try {
      rmdirSync(current);
    } catch {
      return; // not empty, or already gone
    }
    current = path.dirname(current);
  }
}
