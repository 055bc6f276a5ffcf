/**
 * A cache of bundled TypeScript and JavaScript configs, so that a rebuild
 * whose config did not change skips esbuild: loading it and starting its
 * service process took about 70 of the 360 ms of a build of the example
 * config on the 2-core benchmark machine. An entry
 * records every file esbuild read with its size and modification time; any
 * difference makes it stale. Entries live in node_modules/.cache/ of the
 * nearest node_modules folder above the config, as other build tools keep
 * theirs; without such a folder nothing is cached.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

interface CacheEntry {
  /** Changes whenever the bundling itself could produce other code. */
  key: string;
  inputs: { file: string; size: number; mtimeMs: number }[];
  code: string;
}

/** Returns the cached bundle of `configFile`, or undefined when there is none or it is stale. */
export function readCachedBundle(configFile: string, key: string): string | undefined {
  const cacheFile = cacheFileFor(configFile);
  if (cacheFile === undefined) {
    return undefined;
  }
  let entry: CacheEntry;
  try {
    entry = JSON.parse(readFileSync(cacheFile, "utf8")) as CacheEntry;
  } catch {
    return undefined;
  }
  if (entry.key !== key || !Array.isArray(entry.inputs)) {
    return undefined;
  }
  for (const input of entry.inputs) {
    try {
      const stats = statSync(input.file);
      if (stats.size !== input.size || stats.mtimeMs !== input.mtimeMs) {
        return undefined;
      }
    } catch {
      return undefined;
    }
  }
  return entry.code;
}

/** Stores a bundle with the files it was built from. Failing to write the cache never fails the build. */
export function writeCachedBundle(configFile: string, key: string, inputFiles: readonly string[], code: string): void {
  const cacheFile = cacheFileFor(configFile);
  if (cacheFile === undefined) {
    return;
  }
  try {
    const inputs = inputFiles.map((file) => {
      const stats = statSync(file);
      return { file, size: stats.size, mtimeMs: stats.mtimeMs };
    });
    const entry: CacheEntry = { key, inputs, code };
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    const temporary = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(entry));
    renameSync(temporary, cacheFile);
  } catch {
    // A read-only or missing cache folder only costs speed.
  }
}

function cacheFileFor(configFile: string): string | undefined {
  let directory = path.dirname(configFile);
  for (;;) {
    const nodeModules = path.join(directory, "node_modules");
    if (existsSync(nodeModules)) {
      const name = createHash("sha256").update(configFile).digest("hex").slice(0, 32);
      return path.join(nodeModules, ".cache", "workerd-compose", `${name}.json`);
    }
    const parent = path.dirname(directory);
    if (parent === directory) {
      return undefined;
    }
    directory = parent;
  }
}
