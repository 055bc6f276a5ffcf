/**
 * The command line: a thin layer over the library. Exit status 0 means
 * success, 1 a problem in the user's input (diagnostics on stderr, no stack
 * trace), 2 a bug in workerd-compose (stack trace on stderr).
 *
 * Only yargs and the logger load at start; each command imports what it
 * needs (the compiler, esbuild, yaml, capnp-es) when it runs.
 */
import { readFileSync } from "node:fs";

import type { Argv } from "yargs";

import { closestMatch } from "../diagnostics.js";
import { buildOptions, configOption, globalOptions, parsePlainBuild } from "./build-options.js";
import { createLogger, type LogLevel, type Logger } from "./logger.js";

export const exitCodes = { ok: 0, userError: 1, internalError: 2 } as const;

/** Thrown by yargs' failure handler so that a usage error stops the command. */
class UsageError extends Error {}

function packageVersion(): string {
  const packageJson = new URL("../../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(packageJson, "utf8")) as { version: string }).version;
}

/** Options that every command takes. */
interface GlobalArgs {
  quiet: boolean | undefined;
  verbose: boolean | undefined;
}

function loggerFor(args: GlobalArgs): Logger {
  const level: LogLevel = args.quiet ? "error" : args.verbose ? "debug" : "info";
  return createLogger({ level });
}

const commandNames = ["build", "check", "schema", "graph", "init", "serve", "completion"];

/** Adds "Did you mean …" to yargs' message about a stray word that looks like a misspelt command. */
function withCommandHint(message: string): string {
  const word = /^Unknown arguments?: ([^,\s]+)/.exec(message)?.[1];
  const suggestion = word === undefined ? undefined : closestMatch(word, commandNames);
  return suggestion === undefined ? message : `${message}\nDid you mean the command "${suggestion}"?`;
}

/** Runs the CLI with `argv` (without node and the script) and returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  // A plain build, the command a Makefile runs, skips loading yargs.
  const plainBuild = parsePlainBuild(argv);
  if (plainBuild !== undefined) {
    const { runBuild } = await import("./commands.js");
    return runBuild(loggerFor(plainBuild), plainBuild);
  }

  const { default: yargs } = await import("yargs");
  let status: number = exitCodes.ok;
  const run = (task: (commands: typeof import("./commands.js")) => Promise<number>) => async () => {
    status = await task(await import("./commands.js"));
  };

  const parser = yargs(argv)
    .scriptName("workerd-compose")
    .usage(
      "$0 [command] [options]\n\nCompile a workerd-compose config into workerd's config.capnp, its worker modules and the systemd/Quadlet units that run it.",
    )
    .options(globalOptions)
    .conflicts("quiet", "verbose")
    .command(
      ["build", "$0"],
      "Compile the config and write the output tree (the default command)",
      (command: Argv<GlobalArgs>) =>
        command
          .options(buildOptions)
          .example("$0 build", "Build ./workerd-compose.config.ts into ./out")
          .example("$0 build --config deploy/proxy.yaml --out /tmp/proxy", "Build another config elsewhere")
          .example("$0 build --check", "Fail when ./out is not up to date, as a CI step"),
      (args) =>
        run((commands) =>
          commands.runBuild(loggerFor(args), {
            config: args.config,
            out: args.out,
            check: args.check,
            binary: args.binary,
            strict: args.strict,
          }),
        )(),
    )
    .command(
      "check",
      "Validate the config and write nothing",
      (command: Argv<GlobalArgs>) =>
        command.option("config", configOption).example("$0 check --config proxy.yaml", "Report every problem in proxy.yaml"),
      (args) => run((commands) => commands.runCheck(loggerFor(args), { config: args.config }))(),
    )
    .command(
      "schema",
      "Print the JSON Schema of the config on stdout",
      (command: Argv<GlobalArgs>) =>
        command.example("$0 schema > workerd-compose.schema.json", "Save the schema for an editor"),
      () => run((commands) => commands.runSchema())(),
    )
    .command(
      "graph",
      "Print a Mermaid diagram of sockets, routes, upstreams and containers on stdout",
      (command: Argv<GlobalArgs>) =>
        command.option("config", configOption).example("$0 graph > topology.mmd", "Save the diagram"),
      (args) => run((commands) => commands.runGraph(loggerFor(args), { config: args.config }))(),
    )
    .command(
      "init",
      "Write a starter config into the current directory; never overwrites a file",
      (command: Argv<GlobalArgs>) =>
        command
          .option("format", {
            alias: "f",
            choices: ["ts", "json", "yaml"] as const,
            default: "ts" as const,
            describe: "Kind of config file to write",
          })
          .example("$0 init", "Write workerd-compose.config.ts")
          .example("$0 init --format yaml", "Write workerd-compose.config.yaml with a $schema line"),
      (args) => run((commands) => commands.runInit(loggerFor(args), { format: args.format }))(),
    )
    .command(
      "serve",
      "Build into a temporary directory and run workerd from the npm package on local ports",
      (command: Argv<GlobalArgs>) =>
        command
          .option("config", configOption)
          .option("port", { alias: "p", type: "number", describe: "Port of the first socket; the next sockets take the following ports (default: free ports)" })
          .option("host", { type: "string", default: "127.0.0.1", describe: "Address that every socket listens on" })
          .option("watch", { alias: "w", type: "boolean", default: false, describe: "Rebuild and restart when a file in the config's directory changes" })
          .option("binary", { type: "boolean", default: false, describe: "Serve config.bin with workerd serve --binary" })
          .option("external", {
            type: "string",
            array: true,
            default: [] as string[],
            describe: "NAME=HOST:PORT: connect the external service NAME to HOST:PORT instead (repeatable)",
          })
          .example("$0 serve --port 8080", "Serve the first socket on http://127.0.0.1:8080")
          .example("$0 serve --watch --external whoami=127.0.0.1:9000", "Reach the upstream whoami locally; restart on change")
          .example("$0 serve -- --verbose", "Pass --verbose on to workerd"),
      (args) =>
        run((commands) =>
          commands.runServe(loggerFor(args), {
            config: args.config,
            port: args.port,
            host: args.host,
            watch: args.watch,
            binary: args.binary,
            external: args.external,
            workerdArgs: ((args["--"] as unknown[] | undefined) ?? []).map(String),
          }),
        )(),
    )
    .completion("completion", "Print a shell completion script for bash or zsh")
    .parserConfiguration({ "populate--": true })
    // strict() also rejects stray words, so that a misspelt command such as
    // "chek" is an error instead of an argument of the default build command.
    .strict()
    .version(packageVersion())
    .help()
    .alias("help", "h")
    .alias("version", "V")
    .wrap(Math.min(100, process.stderr.columns ?? 100))
    .fail((message, error) => {
      if (error) {
        throw error;
      }
      throw new UsageError(withCommandHint(message));
    });

  try {
    await parser.parseAsync();
  } catch (error) {
    if (!(error instanceof UsageError)) {
      throw error;
    }
    createLogger().error(`${error.message}\nRun "workerd-compose --help" for usage.`);
    return exitCodes.userError;
  }
  return status;
}
