/** The compiler on the file system: find and load a config, compile it, write the output tree. */
import { readFileSync } from "node:fs";
import path from "node:path";

import { compile, encodeBinaryConfig, outputFolders, type CompileOptions, type OutputFile, type SocketPath } from "./compile.js";
import { ConfigError, isBlocking, parsePath, type Diagnostic } from "./diagnostics.js";
import { findConfigFile, loadConfigFile, type LoadedConfig } from "./load/index.js";
import type { Config as WorkerdConfig } from "./model/workerd.js";
import { listOutdatedFiles, WriteError, writeOutputTree, type WriteReport } from "./write/index.js";
import { byPath } from "./util/order.js";

export interface BuildOptions extends CompileOptions {
  /** Config file; found by name in `cwd` when absent. */
  config?: string;
  /** Output directory. @default "out" */
  outDir?: string;
  /** Directory that relative paths start from. @default process.cwd() */
  cwd?: string;
  /** Compare instead of writing: report the files that differ from the output tree. */
  check?: boolean;
  /** Also write `workerd/config.bin`, the binary form that `workerd serve --binary` reads. */
  binary?: boolean;
}

export interface BuildResult {
  /** Absolute path of the config file, when one was found. */
  configFile: string | undefined;
  outDir: string;
  files: OutputFile[];
  diagnostics: Diagnostic[];
  /** Where each socket's requests go, as compile() decided. */
  socketPaths: SocketPath[];
  /** What was written; undefined when a diagnostic stopped the build or `check` was set. */
  report: WriteReport | undefined;
  /** With `check`: the paths that differ from the output tree. */
  outdated: string[] | undefined;
  /** The model that config.capnp prints; undefined when errors stopped the build. */
  workerdConfig: WorkerdConfig | undefined;
  /** Flags that `workerd serve` needs for this config, such as `--experimental`. */
  workerdFlags: string[];
}

/** Builds one config into its output directory. User errors come back as diagnostics, not exceptions. */
export async function build(options: BuildOptions = {}): Promise<BuildResult> {
  const cwd = options.cwd ?? process.cwd();
  const outDir = path.resolve(cwd, options.outDir ?? "out");
  const result: BuildResult = {
    configFile: undefined,
    outDir,
    files: [],
    diagnostics: [],
    socketPaths: [],
    report: undefined,
    outdated: undefined,
    workerdConfig: undefined,
    workerdFlags: [],
  };

  let loaded: LoadedConfig;
  try {
    result.configFile = options.config ? path.resolve(cwd, options.config) : findConfigFile(cwd);
    loaded = await loadConfigFile(result.configFile);
  } catch (error) {
    if (error instanceof ConfigError) {
      result.diagnostics = error.diagnostics;
      return result;
    }
    throw error;
  }

  const compiled = compile(loaded.value, { ...(await fileSystemCompileOptions(loaded)), ...options });
  result.files = compiled.files;
  result.socketPaths = compiled.socketPaths;
  result.workerdConfig = compiled.workerdConfig;
  result.workerdFlags = compiled.workerdFlags;
  result.diagnostics = compiled.diagnostics.map((diagnostic) => ({
    ...diagnostic,
    location: diagnostic.location ?? locate(loaded, diagnostic.path),
  }));
  if (result.diagnostics.some((diagnostic) => isBlocking(diagnostic, options.strict))) {
    return result;
  }

  if (options.binary) {
    const bytes = await encodeBinaryConfig(compiled);
    result.files = [...result.files, { path: `${outputFolders.workerd}/config.bin`, contents: bytes, mode: 0o644 }];
    result.files.sort(byPath);
  }

  if (options.check) {
    result.outdated = listOutdatedFiles(outDir, result.files);
    return result;
  }
  try {
    result.report = writeOutputTree(outDir, result.files);
  } catch (error) {
    if (!(error instanceof WriteError)) {
      throw error;
    }
    const outcome = error.rolledBack
      ? `The previous output in ${outDir} is unchanged.`
      : `Restoring the previous output failed as well; the next build restores it.`;
    result.diagnostics.push({
      severity: "error",
      code: "write-failed",
      path: "",
      message: `${error.message} ${outcome}`,
      received: error.file,
      expected: "a writable output directory",
    });
  }
  return result;
}

/**
 * Returns the compile() options that read from the file system: files the
 * config names are read relative to the config file, and user workers are
 * bundled with esbuild, which is loaded only when the config has workers.
 */
export async function fileSystemCompileOptions(loaded: LoadedConfig): Promise<CompileOptions> {
  const configDirectory = path.dirname(loaded.file);
  const readFile = (file: string) => new Uint8Array(readFileSync(path.resolve(configDirectory, file)));
  const workers = (loaded.value as { workers?: unknown } | null)?.workers;
  if (!Array.isArray(workers) || workers.length === 0) {
    return { readFile };
  }
  const { createWorkerBundler } = await import("./load/bundle.js");
  return { readFile, bundleWorker: await createWorkerBundler(configDirectory) };
}

/** Points a diagnostic at its line in a JSON or YAML config, or at the file for other kinds. */
export function locate(loaded: LoadedConfig, configPath: string): Diagnostic["location"] {
  const segments = parsePath(configPath);
  const position = loaded.locate?.(segments);
  return position ? { file: loaded.file, ...position } : { file: loaded.file };
}
