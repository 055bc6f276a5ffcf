/** The commands of the command line, each a thin layer over the library. */
import { existsSync, fstatSync, readFileSync, statSync, watch, writeFileSync } from "node:fs";
import path from "node:path";

import { build, fileSystemCompileOptions, locate } from "../build.js";
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
  // The same locations as build(): line and column in JSON and YAML configs.
  const located = result.diagnostics.map((diagnostic) => ({
    ...diagnostic,
    location: diagnostic.location ?? locate(loaded, diagnostic.path),
  }));
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
  const problem = servePortProblem(args.port) ?? args.external.map(externalAddressProblem).find((found) => found !== undefined);
  if (problem !== undefined) {
    logger.error(problem);
    return exitCodes.userError;
  }

  const server = new DevServer({
    ...(args.config === undefined ? {} : { config: args.config }),
    ...(args.port === undefined ? {} : { port: args.port }),
    host: args.host,
    binary: args.binary,
    externalAddresses: args.external,
    workerdArgs: args.workerdArgs,
  });
  logger.debug(`building into ${server.outDir}`);

  // Each socket's URL is printed once; a restart prints only the URLs of new sockets.
  const printedUrls = new Set<string>();
  const report = (outcome: ServeOutcome) => {
    if (!outcome.ok) {
      printDiagnostics(logger, outcome.diagnostics);
      return;
    }
    printDiagnostics(logger, server.diagnostics);
    for (const socket of outcome.sockets) {
      if (!printedUrls.has(socket.url)) {
        printedUrls.add(socket.url);
        logger.info(`socket ${socket.name}: ${socket.url}`);
      }
    }
    logWorkerdPid(logger, server);
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

/** Returns why `--port` is invalid, or undefined when it is a port number or missing. */
function servePortProblem(port: number | undefined): string | undefined {
  if (port === undefined || (Number.isInteger(port) && port >= 1 && port <= 65535)) {
    return undefined;
  }
  return `invalid --port: expected a port number from 1 to 65535, received ${Number.isNaN(port) ? "a value that is not a number" : String(port)}.`;
}

/** Returns why an `--external` value is not NAME=HOST:PORT, or undefined when it is. */
function externalAddressProblem(entry: string): string | undefined {
  const match = /^([^=\s]+)=(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d+)$/.exec(entry);
  const port = match === null ? Number.NaN : Number(match[3]);
  if (match !== null && port >= 1 && port <= 65535) {
    return undefined;
  }
  return (
    `invalid --external ${JSON.stringify(entry)}: expected NAME=HOST:PORT with a port from 1 to 65535, ` +
    `such as whoami=127.0.0.1:9000 or whoami=[::1]:9000.`
  );
}

function logWorkerdPid(logger: Logger, server: DevServer): void {
  if (server.process?.pid !== undefined) {
    logger.debug(`workerd runs as PID ${server.process.pid}.`);
  }
}

interface ConfigWatcher {
  /** Stops watching, cancels a pending rebuild and waits for a running one. */
  close(): Promise<void>;
}

/**
 * Returns `device:inode` of standard output and standard error where they are
 * regular files, as when a shell opened `serve.log` for `2> serve.log`.
 */
function outputFileIds(): Set<string> {
  const ids = new Set<string>();
  for (const fd of [1, 2]) {
    try {
      const stats = fstatSync(fd);
      if (stats.isFile()) {
        ids.add(`${stats.dev}:${stats.ino}`);
      }
    } catch {
      // A closed descriptor cannot be a log file.
    }
  }
  return ids;
}

/**
 * Rebuilds after a change in the config's directory, 100 ms after the last
 * event. Changes to the files that this process and workerd log to are
 * ignored, so `serve --watch --verbose 2> serve.log` in that directory does
 * not rebuild on its own messages. A rebuild that leaves the built files as
 * they are keeps workerd running and logs only at debug level.
 */
function watchConfigDirectory(logger: Logger, server: DevServer, report: (outcome: ServeOutcome) => void): ConfigWatcher {
  const directory = path.dirname(server.configFile!);
  const logFiles = outputFileIds();
  const isLogFile = (name: string): boolean => {
    if (logFiles.size === 0) {
      return false;
    }
    const stats = statSync(path.join(directory, name), { throwIfNoEntry: false });
    return stats !== undefined && logFiles.has(`${stats.dev}:${stats.ino}`);
  };
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  let closed = false;

  const rebuild = async (names: string[]) => {
    if (closed) {
      return;
    }
    logger.debug(`${names.join(", ")} changed; rebuilding.`);
    let outcome: ServeOutcome;
    try {
      outcome = await server.start();
    } catch (error) {
      if (closed || server.isClosed) {
        return;
      }
      if (!(error instanceof ServeError)) {
        throw error;
      }
      logger.error(`${error.message} workerd is not running; save a change to try again.`);
      return;
    }
    if (closed) {
      return;
    }
    if (!outcome.ok) {
      report(outcome);
      logger.error(
        server.isRunning
          ? "The rebuild failed; the previous workerd keeps serving."
          : "The rebuild failed; workerd is not running.",
      );
      return;
    }
    if (!outcome.restarted) {
      logger.debug("The built files did not change; workerd keeps running.");
      return;
    }
    logger.info(`${names.join(", ")} changed; restarted workerd.`);
    report(outcome);
  };

  const watcher = watch(directory, { recursive: true }, (_event, name) => {
    if (name !== null && (/(^|\/)(node_modules|\.git|out)(\/|$)/.test(String(name)) || isLogFile(String(name)))) {
      return;
    }
    changed.add(name === null ? "a file" : String(name));
    clearTimeout(timer);
    timer = setTimeout(() => {
      const names = [...changed];
      changed.clear();
      running = running.then(() => rebuild(names));
    }, 100);
  });

  return {
    close: async () => {
      closed = true;
      clearTimeout(timer);
      watcher.close();
      await running;
    },
  };
}

/**
 * Resolves with the exit status when a signal arrives or workerd exits by
 * itself. The signal handlers stay until workerd has exited and the
 * temporary directory is gone; a second signal meanwhile sends SIGKILL to workerd.
 */
function waitForStop(logger: Logger, server: DevServer, watcher: ConfigWatcher | undefined): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = async (status: number) => {
      if (stopping) {
        return;
      }
      stopping = true;
      clearInterval(poll);
      try {
        await watcher?.close();
      } finally {
        await server.close();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
      resolve(status);
    };
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn(`Received ${signal} again; sending SIGKILL to workerd.`);
        server.kill();
        return;
      }
      logger.debug(`Received ${signal}; stopping workerd.`);
      void stop(exitCodes.ok);
    };
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
