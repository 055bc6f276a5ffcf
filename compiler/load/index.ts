/**
 * Config discovery and loading. TypeScript and JavaScript configs are bundled
 * in memory with esbuild and imported from a data: URL, so loading one needs
 * no TypeScript compiler and writes nothing to disk.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { ConfigError, quote, type Diagnostic } from "../diagnostics.js";
import { readCachedBundle, writeCachedBundle } from "./bundle-cache.js";

/** Names looked up, in this order, when no config file is given. */
export const configFileNames = [
  "workerd-compose.config.ts",
  "workerd-compose.config.mts",
  "workerd-compose.config.js",
  "workerd-compose.config.mjs",
  "workerd-compose.config.json",
  "workerd-compose.config.yaml",
  "workerd-compose.config.yml",
] as const;

/** A config as read from its file, not yet validated. */
export interface LoadedConfig {
  /** Absolute path of the config file. */
  file: string;
  /** The exported or parsed value, of unknown shape until validated. */
  value: unknown;
  /** Line and column of each config path, for JSON and YAML files. */
  locate?: (path: readonly (string | number)[]) => { line: number; column: number } | undefined;
}

/** Returns the config file in `directory`, or throws a ConfigError listing the names tried. */
export function findConfigFile(directory: string): string {
  for (const name of configFileNames) {
    const candidate = path.join(directory, name);
    if (existsSync(candidate)) {
      return candidate;
    }
  }
  throw new ConfigError([
    {
      severity: "error",
      code: "config-not-found",
      path: "",
      message: `No config file found in ${directory}.`,
      received: directory,
      expected: configFileNames.join(", "),
      hint: "Pass --config FILE, or create workerd-compose.config.ts.",
    },
  ]);
}

/** Reads and evaluates a config file of any supported kind. */
export async function loadConfigFile(file: string): Promise<LoadedConfig> {
  const absolute = path.resolve(file);
  if (!existsSync(absolute)) {
    throw loadError(absolute, "config-not-found", "The config file does not exist.", file, "an existing file");
  }

  const extension = path.extname(absolute);
  switch (extension) {
    case ".json": {
      const { parseJsonConfig } = await import("./data.js");
      return parseJsonConfig(absolute, readConfigText(absolute, file));
    }
    case ".yaml":
    case ".yml": {
      const { parseYamlConfig } = await import("./data.js");
      return parseYamlConfig(absolute, readConfigText(absolute, file));
    }
    case ".ts":
    case ".mts":
    case ".js":
    case ".mjs":
      return { file: absolute, value: await importModuleConfig(absolute) };
    default:
      throw loadError(
        absolute,
        "config-extension",
        `The config file has the extension ${quote(extension)}, which is not supported.`,
        extension,
        ".ts, .mts, .js, .mjs, .json, .yaml or .yml",
      );
  }
}

async function importModuleConfig(file: string): Promise<unknown> {
  const selfEntry = pathToFileURL(fileURLToPath(new URL("../index.js", import.meta.url))).href;
  const cacheKey = bundleCacheKey(selfEntry);
  const code = readCachedBundle(file, cacheKey) ?? (await bundleConfig(file, selfEntry, cacheKey));

  let module: { default?: unknown };
  try {
    module = await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw loadError(
      file,
      "config-evaluation",
      `Evaluating the config failed: ${message}`,
      message,
      "a module that evaluates without throwing",
    );
  }

  if (module.default === undefined) {
    throw loadError(
      file,
      "config-no-default-export",
      "The config module has no default export.",
      Object.keys(module),
      "export default defineConfig({ ... })",
    );
  }
  return module.default;
}

/**
 * Returns what, besides the input files, decides the bundled code: esbuild's
 * version, where this package is installed (the config's import of
 * "workerd-compose" points there) and the build options, whose revision is
 * the trailing number.
 */
function bundleCacheKey(selfEntry: string): string {
  const require = createRequire(import.meta.url);
  const esbuildVersion = (JSON.parse(readFileSync(require.resolve("esbuild/package.json"), "utf8")) as { version: string })
    .version;
  return `esbuild ${esbuildVersion}\0${selfEntry}\0options 1`;
}

/** Bundles a config module and its imports into one ES module, and caches the result. */
async function bundleConfig(file: string, selfEntry: string, cacheKey: string): Promise<string> {
  // require() loads esbuild's CommonJS entry without the ES-module wrapper,
  // which would first scan its whole source for named exports.
  const esbuild = createRequire(import.meta.url)("esbuild") as typeof import("esbuild");

  // The config imports defineConfig from "workerd-compose". Pointing that
  // import at this very package keeps the user's copy and ours from mixing,
  // and works whether or not the package is installed beside the config.
  const resolveSelf: import("esbuild").Plugin = {
    name: "workerd-compose-self",
    setup(build) {
      build.onResolve({ filter: /^workerd-compose$/ }, () => ({ path: selfEntry, external: true }));
    },
  };

  const workingDirectory = path.dirname(file);
  let result: import("esbuild").BuildResult<{ write: false; metafile: true }>;
  try {
    result = await esbuild.build({
      entryPoints: [file],
      absWorkingDir: workingDirectory,
      bundle: true,
      write: false,
      metafile: true,
      format: "esm",
      platform: "node",
      target: "node20",
      logLevel: "silent",
      plugins: [resolveSelf],
      define: { "import.meta.url": JSON.stringify(pathToFileURL(file).href) },
    });
  } catch (error) {
    throw new ConfigError(esbuildDiagnostics(file, error));
  }

  const code = result.outputFiles[0]!.text;
  const inputs = Object.keys(result.metafile.inputs).map((input) => path.resolve(workingDirectory, input));
  writeCachedBundle(file, cacheKey, inputs, code);
  return code;
}

function esbuildDiagnostics(file: string, error: unknown): Diagnostic[] {
  const errors = (error as { errors?: import("esbuild").Message[] }).errors;
  if (!Array.isArray(errors) || errors.length === 0) {
    throw error;
  }
  return errors.map((message) => ({
    severity: "error",
    code: "config-syntax",
    path: "",
    message: message.text,
    received: message.location?.lineText ?? "",
    expected: "a module that esbuild can bundle",
    location: {
      file: message.location?.file ? path.resolve(message.location.file) : file,
      ...(message.location ? { line: message.location.line, column: message.location.column + 1 } : {}),
    },
  }));
}

function loadError(file: string, code: string, message: string, received: unknown, expected: string): ConfigError {
  return new ConfigError([{ severity: "error", code, path: "", message, received, expected, location: { file } }]);
}

function readConfigText(absolute: string, file: string): string {
  try {
    return readFileSync(absolute, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw loadError(absolute, "config-unreadable", `The config file cannot be read (${reason}).`, file, "a readable file");
  }
}
