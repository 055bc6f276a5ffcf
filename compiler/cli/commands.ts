/** The commands of the command line, each a thin layer over the library. */
import { existsSync, readFileSync, watch, writeFileSync, type FSWatcher } from "node:fs";
import path from "node:path";

import { build, fileSystemCompileOptions } from "../build.js";
import { compile } from "../compile.js";
import { ConfigError, isBlocking, type Diagnostic } from "../diagnostics.js";
import { findConfigFile, loadConfigFile } from "../load/index.js";
import { DevServer, ServeError, type ServeOutcome } from "../serve.js";
import { starterConfig, starterDate, starterFileName, type StarterFormat } from "./init.js";
import type { Logger } from "./logger.js";
import { exitCodes } from "./main.js";

/** Prints the diagnostics and returns whether one stops the command (with `strict`, a warning too). */
function printDiagnostics(logger: Logger, diagnostics: readonly Diagnostic[], strict = false): boolean {
  for (const diagnostic of diagnostics) {
    logger.diagnostic(diagnostic);
  }
  return diagnostics.some((diagnostic) => isBlocking(diagnostic, strict));
}

export async function runBuild(
  logger: Logger,
  args: { config: string | undefined; out: string; check: boolean; binary: boolean; strict: boolean },
): Promise<number> {
  const result = await build({
    ...(args.config === undefined ? {} : { config: args.config }),
    outDir: args.out,
    check: args.check,
    binary: args.binary,
    strict: args.strict,
  });
  if (printDiagnostics(logger, result.diagnostics, args.strict)) {
    return exitCodes.userError;
  }
  logger.debug(`config: ${result.configFile}`);

  const outDir = path.relative(process.cwd(), result.outDir) || ".";
  if (result.outdated) {
    if (result.outdated.length === 0) {
      logger.info(`All ${result.files.length} files in ${outDir} are up to date.`);
      return exitCodes.ok;
    }
    logger.error(`These files in ${outDir} are not up to date:`);
    process.stdout.write(result.outdated.map((file) => `${file}\n`).join(""));
    return exitCodes.userError;
  }

  // Say which path each socket's requests take: the router or straight to an upstream.
  for (const socketPath of result.socketPaths) {
    if (socketPath.kind === "direct") {
      logger.info(`Socket "${socketPath.socket}" sends requests straight to upstream "${socketPath.service}", without JavaScript.`);
    } else {
      logger.debug(`Socket "${socketPath.socket}" sends requests through the router (service "${socketPath.service}").`);
    }
  }

  const report = result.report!;
  for (const file of report.written) {
    logger.debug(`wrote ${file}`);
  }
  for (const file of report.removed) {
    logger.debug(`removed ${file}`);
  }
  logger.info(
    `Built ${result.files.length} files into ${outDir}: ${report.written.length} written, ` +
      `${report.unchanged.length} unchanged, ${report.removed.length} removed.`,
  );
  return exitCodes.ok;
}

/** Loads and compiles the config in memory; returns undefined after printing its errors. */
async function compileConfig(logger: Logger, config: string | undefined) {
  let loaded;
  try {
    loaded = await loadConfigFile(config ?? findConfigFile(process.cwd()));
  } catch (error) {
    if (error instanceof ConfigError) {
      printDiagnostics(logger, error.diagnostics);
      return undefined;
    }
    throw error;
  }
  logger.debug(`config: ${loaded.file}`);
  const result = compile(loaded.value, await fileSystemCompileOptions(loaded));
  const located = result.diagnostics.map((diagnostic) => ({ ...diagnostic, location: { file: loaded.file } }));
  return printDiagnostics(logger, located) ? undefined : { file: loaded.file, result };
}

export async function runCheck(logger: Logger, args: { config: string | undefined }): Promise<number> {
  // build() locates diagnostics at their line in JSON and YAML; check: true writes nothing.
  const result = await build({
    ...(args.config === undefined ? {} : { config: args.config }),
    check: true,
    outDir: path.join(process.cwd(), "out"),
  });
  if (printDiagnostics(logger, result.diagnostics)) {
    return exitCodes.userError;
  }
  logger.info(`${path.relative(process.cwd(), result.configFile!) || result.configFile} is valid.`);
  return exitCodes.ok;
}

export async function runSchema(): Promise<number> {
  process.stdout.write(readPackageFile("schema/workerd-compose.schema.json"));
  return exitCodes.ok;
}

export async function runGraph(logger: Logger, args: { config: string | undefined }): Promise<number> {
  const compiled = await compileConfig(logger, args.config);
  if (compiled === undefined) {
    return exitCodes.userError;
  }
  process.stdout.write(compiled.result.topology!);
  return exitCodes.ok;
}

export async function runInit(logger: Logger, args: { format: StarterFormat }): Promise<number> {
  const file = path.join(process.cwd(), starterFileName(args.format));
  const existing = [file, ...existingConfigs()].find((candidate) => existsSync(candidate));
  if (existing !== undefined) {
    logger.error(`${path.basename(existing)} already exists; init never overwrites a file. Remove it first.`);
    return exitCodes.userError;
  }
  // The "wx" flag fails instead of overwriting a file created meanwhile.
  writeFileSync(file, starterConfig(args.format, starterDate(new Date())), { flag: "wx" });
  logger.info(`Wrote ${path.basename(file)}. Build it with: workerd-compose build`);
  return exitCodes.ok;
}

function existingConfigs(): string[] {
  try {
    return [findConfigFile(process.cwd())];
  } catch {
    return [];
  }
}

export interface ServeArgs {
  config: string | undefined;
  port: number | undefined;
  host: string;
  watch: boolean;
  binary: boolean;
  external: string[];
  workerdArgs: string[];
}

export async function runServe(logger: Logger, args: ServeArgs): Promise<number> {
  const server = new DevServer({
    ...(args.config === undefined ? {} : { config: args.config }),
    ...(args.port === undefined ? {} : { port: args.port }),
    host: args.host,
    binary: args.binary,
    externalAddresses: args.external,
    workerdArgs: args.workerdArgs,
  });

  const report = (outcome: ServeOutcome) => {
    if (!outcome.ok) {
      printDiagnostics(logger, outcome.diagnostics);
      return;
    }
    printDiagnostics(logger, server.diagnostics);
    for (const socket of outcome.sockets) {
      logger.info(`socket ${socket.name}: ${socket.url}`);
    }
  };

  let outcome: ServeOutcome;
  try {
    outcome = await server.start();
  } catch (error) {
    await server.close();
    if (error instanceof ServeError) {
      logger.error(error.message);
      return exitCodes.userError;
    }
    throw error;
  }
  report(outcome);
  if (!outcome.ok) {
    await server.close();
    return exitCodes.userError;
  }

  const watcher = args.watch ? watchConfigDirectory(logger, server, report) : undefined;
  logger.info(args.watch ? "Watching for changes. Press Ctrl+C to stop." : "Press Ctrl+C to stop.");
  return waitForStop(logger, server, watcher);
}

/** Rebuilds after a change in the config's directory, 100 ms after the last event. */
function watchConfigDirectory(logger: Logger, server: DevServer, report: (outcome: ServeOutcome) => void): FSWatcher {
  const directory = path.dirname(server.configFile!);
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  return watch(directory, { recursive: true }, (_event, name) => {
    if (name !== null && /(^|\/)(node_modules|\.git|out)(\/|$)/.test(String(name))) {
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(async () => {
        logger.info(`${String(name)} changed; rebuilding.`);
        try {
          report(await server.start());
        } catch (error) {
          if (!(error instanceof ServeError)) {
            throw error;
          }
          logger.error(error.message);
        }
      });
    }, 100);
  });
}

/** Resolves with the exit status when a signal arrives or workerd exits by itself. */
function waitForStop(logger: Logger, server: DevServer, watcher: FSWatcher | undefined): Promise<number> {
  return new Promise((resolve) => {
    const stop = async (status: number) => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      clearInterval(poll);
      watcher?.close();
      await server.close();
      resolve(status);
    };
    const onSignal = () => void stop(exitCodes.ok);
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);

    // workerd that exits by itself (a crash, or a port taken) ends the command,
    // except while --watch restarts it.
    const poll = setInterval(() => {
      const child = server.process;
      if (child !== undefined && (child.exitCode !== null || child.signalCode !== null) && watcher === undefined) {
        logger.error(`workerd exited with ${child.signalCode ?? `status ${child.exitCode}`}.`);
        void stop(exitCodes.userError);
      }
    }, 200);
  });
}

/** Reads a file shipped in the package: dist/compiler/cli/ when installed, compiler/cli/ from source. */
function readPackageFile(relative: string): string {
  for (const base of ["../../../", "../../"]) {
    const candidate = new URL(`${base}${relative}`, import.meta.url);
    if (existsSync(candidate)) {
      return readFileSync(candidate, "utf8");
    }
  }
  throw new Error(`${relative} is missing from the package`);
}
