/**
 * The command line: a thin layer over build(). Exit status 0 means success,
 * 1 a problem in the user's input (diagnostics on stderr, no stack trace),
 * 2 a bug in workerd-compose (stack trace on stderr).
 */
import { readFileSync } from "node:fs";
import path from "node:path";

import yargs from "yargs";
import { hideBin } from "yargs/helpers";

import { build } from "../build.js";
import { formatDiagnostic, type Diagnostic } from "../diagnostics.js";

export const exitCodes = { ok: 0, userError: 1, internalError: 2 } as const;

function packageVersion(): string {
  const packageJson = new URL("../../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(packageJson, "utf8")) as { version: string }).version;
}

/** Runs the CLI with `argv` (without node and the script) and returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  let status: number = exitCodes.ok;

  const parser = yargs(argv)
    .scriptName("workerd-compose")
    .usage("$0 [command] [options]\n\nCompile a workerd-compose config into workerd's config.capnp, its worker modules and the systemd/Quadlet units that run it.")
    .command(
      ["build", "$0"],
      "Compile the config and write the output tree (the default command)",
      (command) =>
        command
          .option("config", {
            alias: "c",
            type: "string",
            describe: "Config file (.ts, .mts, .js, .mjs, .json, .yaml); default: workerd-compose.config.* in the current directory",
          })
          .option("out", {
            alias: "o",
            type: "string",
            default: "out",
            describe: "Output directory",
          })
          .option("check", {
            type: "boolean",
            default: false,
            describe: "Write nothing; exit 1 and list the files that differ from the output directory",
          })
          .example("$0 build", "Build ./workerd-compose.config.ts into ./out")
          .example("$0 build --config deploy/proxy.yaml --out /tmp/proxy", "Build another config elsewhere")
          .example("$0 build --check", "Fail when ./out is not up to date, as a CI step"),
      async (args) => {
        status = await runBuild({ config: args.config, out: args.out, check: args.check });
      },
    )
    .strictCommands()
    .strictOptions()
    .version(packageVersion())
    .help()
    .alias("help", "h")
    .alias("version", "V")
    .wrap(Math.min(100, process.stderr.columns ?? 100))
    .fail((message, error) => {
      if (error) {
        throw error;
      }
      process.stderr.write(`workerd-compose: ${message}\nRun "workerd-compose --help" for usage.\n`);
      status = exitCodes.userError;
    });

  await parser.parseAsync();
  return status;
}

async function runBuild(args: { config: string | undefined; out: string; check: boolean }): Promise<number> {
  const result = await build({
    ...(args.config === undefined ? {} : { config: args.config }),
    outDir: args.out,
    check: args.check,
  });
  printDiagnostics(result.diagnostics);
  if (result.diagnostics.some((diagnostic) => diagnostic.severity === "error")) {
    return exitCodes.userError;
  }

  const outDir = path.relative(process.cwd(), result.outDir) || ".";
  if (result.outdated) {
    if (result.outdated.length === 0) {
      return exitCodes.ok;
    }
    process.stderr.write(`These files in ${outDir} are not up to date:\n`);
    process.stdout.write(result.outdated.map((file) => `${file}\n`).join(""));
    return exitCodes.userError;
  }

  const report = result.report!;
  process.stderr.write(
    `Built ${result.files.length} files into ${outDir}: ${report.written.length} written, ` +
      `${report.unchanged.length} unchanged, ${report.removed.length} removed.\n`,
  );
  return exitCodes.ok;
}

function printDiagnostics(diagnostics: readonly Diagnostic[]): void {
  for (const diagnostic of diagnostics) {
    process.stderr.write(`${formatDiagnostic(diagnostic)}\n`);
  }
}
