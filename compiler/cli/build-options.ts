/**
 * The options of the build command, in one table that both parsers read:
 * yargs for the full command line, and node:util's parseArgs for the fast
 * path of a plain build.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

export const configOption = {
  alias: "c",
  type: "string",
  describe: "Config file (.ts, .mts, .js, .mjs, .json, .yaml, .yml); default: workerd-compose.config.* in the current directory",
} as const;

export const buildOptions = {
  config: configOption,
  out: { alias: "o", type: "string", default: "out", describe: "Output directory" },
  check: {
    type: "boolean",
    default: false,
    describe: "Write nothing; exit 1 and list the files that differ from the output directory",
  },
  binary: {
    type: "boolean",
    default: false,
    describe: "Also write workerd/config.bin, the binary config for workerd serve --binary",
  },
  strict: {
    type: "boolean",
    default: false,
    describe: "Treat warnings as errors: write nothing and exit 1 when there is any",
  },
} as const;

export const globalOptions = {
  quiet: { alias: "q", type: "boolean", describe: "Print errors only" },
  verbose: { alias: "v", type: "boolean", describe: "Print details of each step" },
} as const;

export interface BuildArgs {
  config: string | undefined;
  out: string;
  check: boolean;
  binary: boolean;
  strict: boolean;
  quiet: boolean | undefined;
  verbose: boolean | undefined;
}

/**
 * Parses a command line that is a plain build (`[build] [options]`) without
 * loading yargs, whose import alone takes about as long as starting Node.
 * Returns undefined for anything else (another command, --help, --version,
 * an unknown or repeated option, a conflict), which yargs then parses and
 * reports with its usual messages.
 */
export function parsePlainBuild(argv: readonly string[]): BuildArgs | undefined {
  const args = argv[0] === "build" ? argv.slice(1) : argv;
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  const table: Record<string, { type: "string" | "boolean"; alias?: string }> = { ...buildOptions, ...globalOptions };
  for (const [name, option] of Object.entries(table)) {
    options[name] = option.alias === undefined ? { type: option.type } : { type: option.type, short: option.alias };
  }

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: false, tokens: true });
  } catch {
    return undefined;
  }

  // yargs turns a repeated string option into an array; leave those to it.
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind === "option") {
      if (seen.has(token.name)) {
        return undefined;
      }
      seen.add(token.name);
    }
  }

  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.quiet && values.verbose) {
    return undefined;
  }
  return {
    config: values.config as string | undefined,
    out: (values.out as string | undefined) ?? buildOptions.out.default,
    check: (values.check as boolean | undefined) ?? buildOptions.check.default,
    binary: (values.binary as boolean | undefined) ?? buildOptions.binary.default,
    strict: (values.strict as boolean | undefined) ?? buildOptions.strict.default,
    quiet: values.quiet as boolean | undefined,
    verbose: values.verbose as boolean | undefined,
  };
}
