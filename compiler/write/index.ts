/**
 * Writes an output tree as one transaction, so that a failed or interrupted
 * build leaves the previous output in place:
 *
 * 1. Every changed file, the manifest included, is staged under a temporary
 *    name next to its target, and a journal in the output directory lists the
 *    staged files before the first one is created.
 * 2. The previous version of each target is kept as a hard link, then each
 *    staged file is renamed over its target.
 * 3. The journal is marked committed. After that, the kept versions are
 *    removed, and so are the files that the previous build generated and
 *    this one no longer does.
 *
 * An error in any step undoes the steps before it. A process killed before
 * the commit leaves the journal behind, and the next write to the same
 * directory rolls the tree back to the previous output before it starts; a
 * process killed after the commit has its removals finished the same way.
 * Files whose content did not change are not touched, so their modification
 * time stays and make rebuilds nothing that depends on them. Files the user
 * put into the output directory are never deleted, because only paths listed
 * in the previous manifest are removed.
 *
 * Staged files are flushed with fsync, and so are the directories that the
 * journal and the renamed files are in, before the journal is marked committed.
 */
import {
  closeSync,
  copyFileSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";

import type { OutputFile } from "../compile.js";

export const manifestName = ".workerd-compose-manifest.json";
export const journalName = ".workerd-compose-journal.json";

export interface WriteReport {
  written: string[];
  unchanged: string[];
  removed: string[];
  /** Set when an interrupted earlier build was rolled back or finished first. */
  recovered?: "rolled-back" | "completed";
}

/** A write that failed because of the file system (permissions, a full disk, a directory in the way). */
export class WriteError extends Error {
  constructor(
    message: string,
    /** Path of the file or directory that could not be written, relative to the output directory. */
    readonly file: string,
    /** Whether the previous output is back in place; when not, the next write restores it. */
    public rolledBack = true,
  ) {
    super(message);
    this.name = "WriteError";
  }
}

/** One file that the transaction replaces or creates, with paths relative to the output directory. */
interface Replacement {
  target: string;
  staged: string;
  /** Hard link to the previous version of `target`; absent when the target is new. */
  kept?: string;
}

/** The journal's content: what to undo or finish when a build stops halfway. */
interface Journal {
  pid: number;
  state: "staged" | "committed";
  replacements: Replacement[];
  /** Files of the previous build that are removed after the commit. */
  removals: string[];
}

/** Writes `files` below `outDir`, creating it when needed. Throws WriteError when the file system refuses. */
export function writeOutputTree(outDir: string, files: readonly OutputFile[]): WriteReport {
  const root = path.resolve(outDir);
  const report: WriteReport = { written: [], unchanged: [], removed: [] };
  guard(".", () => mkdirSync(root, { recursive: true }));

  const recovered = recoverInterruptedWrite(root);
  if (recovered) {
    report.recovered = recovered;
  }

  // Decide what changes: the manifest is one more file of the transaction.
  const current = new Set(files.map((file) => file.path));
  const removals = readManifest(root).filter((entry) => !current.has(entry) && exists(resolveInside(root, entry)));
  const manifest: OutputFile = {
    path: manifestName,
    contents: `${JSON.stringify({ files: [...current].sort() }, null, 2)}\n`,
    mode: 0o644,
  };
  const changed: OutputFile[] = [];
  for (const file of [...files, manifest]) {
    if (isCurrent(resolveInside(root, file.path), file)) {
      if (file !== manifest) {
        report.unchanged.push(file.path);
      }
    } else {
      changed.push(file);
    }
  }
  if (changed.length === 0 && removals.length === 0) {
    return report;
  }

  const journal: Journal = {
    pid: process.pid,
    state: "staged",
    replacements: changed.map((file) => planReplacement(root, file.path)),
    removals,
  };
  writeJournal(root, journal);

  try {
    stageFiles(root, changed, journal.replacements);
    switchFiles(root, journal.replacements);
    syncDirectories(root, journal.replacements);
  } catch (error) {
    try {
      rollBack(root, journal);
    } catch {
      // The journal stays behind, and the next write to this directory
      // finishes the rollback; the first error is the one worth reporting.
      if (error instanceof WriteError) {
        error.rolledBack = false;
      }
    }
    throw error;
  }

  // The commit point: from here on the new tree is kept, and recovery finishes the removals.
  journal.state = "committed";
  writeJournal(root, journal);
  finishCommitted(root, journal);

  report.written = changed.filter((file) => file !== manifest).map((file) => file.path);
  report.removed = removals;
  return report;
}

/** Returns the paths that differ between `files` and the tree in `outDir`, for `build --check`. Writes nothing. */
export function listOutdatedFiles(outDir: string, files: readonly OutputFile[]): string[] {
  const root = path.resolve(outDir);
  const current = new Set(files.map((file) => file.path));
  const outdated = files.filter((file) => !isCurrent(resolveInside(root, file.path), file));
  const stale = readManifest(root).filter((entry) => !current.has(entry) && exists(resolveInside(root, entry)));
  return [...outdated.map((file) => file.path), ...stale].sort();
}

function planReplacement(root: string, target: string): Replacement {
  const absolute = resolveInside(root, target);
  const directory = path.posix.dirname(target);
  const base = path.posix.basename(target);
  const sibling = (suffix: string) =>
    directory === "." ? `.${base}.${process.pid}.${suffix}` : `${directory}/.${base}.${process.pid}.${suffix}`;

  let previous: ReturnType<typeof lstatSync> | undefined;
  try {
    previous = lstatSync(absolute);
  } catch {
    previous = undefined;
  }
  if (previous?.isDirectory()) {
    throw new WriteError(`Cannot write ${target}: a directory is in the way.`, target);
  }
  return previous
    ? { target, staged: sibling("workerd-compose-new"), kept: sibling("workerd-compose-old") }
    : { target, staged: sibling("workerd-compose-new") };
}

function stageFiles(root: string, files: readonly OutputFile[], replacements: readonly Replacement[]): void {
  files.forEach((file, index) => {
    const staged = replacements[index]!.staged;
    guard(staged, () => {
      const absolute = resolveInside(root, staged);
      mkdirSync(path.dirname(absolute), { recursive: true });
      const descriptor = openSync(absolute, "wx", file.mode);
      try {
        const contents = typeof file.contents === "string" ? Buffer.from(file.contents) : file.contents;
        writeFileSync(descriptor, contents);
        fsyncSync(descriptor);
      } finally {
        closeSync(descriptor);
      }
    });
  });
}

function switchFiles(root: string, replacements: readonly Replacement[]): void {
  // Keep every previous version first, so that any later failure can restore all of them.
  for (const { target, kept } of replacements) {
    if (kept !== undefined) {
      guard(target, () => keepPrevious(resolveInside(root, target), resolveInside(root, kept)));
    }
  }
  for (const { target, staged } of replacements) {
    guard(target, () => renameSync(resolveInside(root, staged), resolveInside(root, target)));
  }
}

/** Keeps the previous version as a hard link, or as a copy on file systems without hard links. */
function keepPrevious(target: string, kept: string): void {
  try {
    linkSync(target, kept);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") {
      throw error;
    }
    copyFileSync(target, kept);
  }
}

/**
 * Undoes a transaction that did not reach its commit. A target whose staged
 * file is gone was already replaced, so its kept version goes back, or the
 * target is removed when it is new. Leftover staged and kept files are deleted.
 */
function rollBack(root: string, journal: Journal): void {
  for (const { target, staged, kept } of journal.replacements) {
    const stagedPath = resolveInside(root, staged);
    const targetPath = resolveInside(root, target);
    if (exists(stagedPath)) {
      removeFile(stagedPath);
      if (kept !== undefined) {
        removeFile(resolveInside(root, kept));
      }
    } else if (kept !== undefined && exists(resolveInside(root, kept))) {
      renameSync(resolveInside(root, kept), targetPath);
    } else if (kept === undefined) {
      removeFile(targetPath);
      removeEmptyParents(root, path.dirname(targetPath));
    }
  }
  for (const { staged } of journal.replacements) {
    removeEmptyParents(root, path.dirname(resolveInside(root, staged)));
  }
  removeFile(path.join(root, journalName));
}

function finishCommitted(root: string, journal: Journal): void {
  for (const { kept } of journal.replacements) {
    if (kept !== undefined) {
      removeFile(resolveInside(root, kept));
    }
  }
  for (const stale of journal.removals) {
    const absolute = resolveInside(root, stale);
    removeFile(absolute);
    removeEmptyParents(root, path.dirname(absolute));
  }
  removeFile(path.join(root, journalName));
}

/** Rolls back or finishes a transaction that an earlier, interrupted build left in `root`. */
function recoverInterruptedWrite(root: string): WriteReport["recovered"] {
  const text = readText(path.join(root, journalName));
  if (text === undefined) {
    return undefined;
  }
  const journal = parseJournal(text);
  if (journal === undefined) {
    throw new WriteError(
      `The journal ${journalName} in the output directory is unreadable; remove it and rebuild.`,
      journalName,
    );
  }
  if (journal.pid !== process.pid && isRunning(journal.pid)) {
    throw new WriteError(
      `Another build (process ${journal.pid}) is writing to the output directory; wait for it to finish.`,
      journalName,
    );
  }
  if (journal.state === "committed") {
    finishCommitted(root, journal);
    return "completed";
  }
  rollBack(root, journal);
  return "rolled-back";
}

function parseJournal(text: string): Journal | undefined {
  try {
    const value = JSON.parse(text) as Journal;
    const paths = [
      ...value.replacements.flatMap((entry) => [entry.target, entry.staged, ...(entry.kept ? [entry.kept] : [])]),
      ...value.removals,
    ];
    if (
      typeof value.pid === "number" &&
      (value.state === "staged" || value.state === "committed") &&
      paths.every(isSafeRelativePath)
    ) {
      return value;
    }
  } catch {
    // handled below as unreadable
  }
  return undefined;
}

function writeJournal(root: string, journal: Journal): void {
  const file = path.join(root, journalName);
  const staged = `${file}.${process.pid}.workerd-compose-new`;
  guard(journalName, () => {
    const descriptor = openSync(staged, "w", 0o644);
    try {
      writeFileSync(descriptor, `${JSON.stringify(journal, null, 2)}\n`);
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
    renameSync(staged, file);
    syncDirectory(root);
  });
}

/**
 * Flushes the directories of the renamed files, and every directory between
 * them and the output directory, so that the renames and new directories
 * survive a power failure once the journal is committed.
 */
function syncDirectories(root: string, replacements: readonly Replacement[]): void {
  const directories = new Set<string>();
  for (const { target } of replacements) {
    let directory = path.dirname(resolveInside(root, target));
    while (directory.startsWith(root) && !directories.has(directory)) {
      directories.add(directory);
      directory = path.dirname(directory);
    }
  }
  for (const directory of directories) {
    guard(path.relative(root, directory) || ".", () => syncDirectory(directory));
  }
}

/** Flushes a directory's entries with fsync; file systems that cannot do so are skipped. */
function syncDirectory(directory: string): void {
  const descriptor = openSync(directory, "r");
  try {
    fsyncSync(descriptor);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") {
      throw error;
    }
  } finally {
    closeSync(descriptor);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Runs a file-system step and turns its failure into a WriteError that names the file. */
function guard(file: string, step: () => void): void {
  try {
    step();
  } catch (error) {
    if (error instanceof WriteError) {
      throw error;
    }
    const cause = error as NodeJS.ErrnoException;
    if (typeof cause.code !== "string") {
      throw error;
    }
    const reason = cause.message.replace(/,.*$/, "");
    throw new WriteError(`Cannot write ${file}: ${reason}.`, file);
  }
}

function isCurrent(target: string, file: OutputFile): boolean {
  try {
    const expected = typeof file.contents === "string" ? Buffer.from(file.contents) : file.contents;
    return readFileSync(target).equals(expected) && (statSync(target).mode & 0o777) === file.mode;
  } catch {
    return false;
  }
}

function readManifest(root: string): string[] {
  const text = readText(path.join(root, manifestName));
  if (text === undefined) {
    return [];
  }
  try {
    const files = (JSON.parse(text) as { files?: unknown }).files;
    // Entries that could escape the output directory are ignored, so a
    // tampered manifest cannot delete files elsewhere.
    return Array.isArray(files) ? files.filter(isSafeRelativePath) : [];
  } catch {
    return [];
  }
}

function isSafeRelativePath(entry: unknown): entry is string {
  return (
    typeof entry === "string" &&
    entry !== "" &&
    !entry.startsWith("/") &&
    !entry.includes("\0") &&
    !entry.split("/").some((segment) => segment === ".." || segment === "." || segment === "")
  );
}

function resolveInside(root: string, relative: string): string {
  return path.join(root, ...relative.split("/"));
}

function exists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw error;
    }
  }
}

function removeEmptyParents(root: string, directory: string): void {
  let current = path.resolve(directory);
  while (current.startsWith(`${root}${path.sep}`)) {
    try {
      rmdirSync(current);
    } catch {
      return; // not empty, or already gone
    }
    current = path.dirname(current);
  }
}
