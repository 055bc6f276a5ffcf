#!/usr/bin/env node
// Generates the capnp-es bindings of workerd's config schema into
// compiler/capnp/workerd-capnp.ts, the code that encodes config.bin.
//
// Usage: node scripts/generate-capnp.mjs [--check]   (npm run generate:capnp)
//
// Steps: copy node_modules/workerd/workerd.capnp into a temporary directory,
// apply the shims for capnp 0.9.2 (scripts/workerd-schema.mjs), run
// `capnp compile` with capnp-es's capnpc-ts plugin, add the `override`
// modifiers that this repository's tsconfig requires, and write the file with
// a header. Needs the `capnp` tool (Debian: apt-get install capnproto).
//
// With --check, nothing is written and the exit status is 1 when the
// committed file differs from a fresh generation, e.g. after a workerd upgrade.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { CAPNP_ES_VERSION, WORKERD_VERSION, capnpImportArgs, writeShimmedSchema } from "./workerd-schema.mjs";

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const bindingsPath = join(root, "compiler", "capnp", "workerd-capnp.ts");

/** Runs the generator in a temporary directory and returns the text of the bindings file. */
export function generateBindings() {
  const capnpVersion = readCapnpVersion();
  const workDir = mkdtempSync(join(tmpdir(), "workerd-capnp-gen-"));
  try {
    const { schemaPath, importPath } = writeShimmedSchema(workDir);
    const pluginOutDir = join(workDir, "generated");
    mkdirSync(pluginOutDir);
    runCapnpEsPlugin({ schemaPath, importPath, sourceDir: workDir, pluginOutDir });

    const names = readdirSync(pluginOutDir);
    if (names.length !== 1 || names[0] !== "workerd.ts") {
      throw new Error(`capnp-es wrote ${JSON.stringify(names)} instead of workerd.ts`);
    }
    const body = addOverrideModifiers(readFileSync(join(pluginOutDir, "workerd.ts"), "utf8"));
    return buildHeader(capnpVersion) + body;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * Marks the members that override capnp-es's Struct as `override`: the
 * repository compiles with noImplicitOverride, and the plugin writes neither
 * `static override readonly _capnp` nor `override toString()`.
 */
function addOverrideModifiers(text) {
  const result = text
    .replace(/^( {2})static readonly _capnp = /gm, "$1static override readonly _capnp = ")
    .replace(/^( {2})toString\(\): string \{/gm, "$1override toString(): string {");
  if (result === text) {
    throw new Error("the generated bindings no longer contain the members that need `override`");
  }
  return result;
}

// capnp starts the plugin with `pluginOutDir` as its working directory, and
// --src-prefix makes it write "workerd.ts" there rather than below workDir.
function runCapnpEsPlugin({ schemaPath, importPath, sourceDir, pluginOutDir }) {
  const pluginPath = join(dirname(require.resolve("capnp-es/compiler")), "capnpc-ts.mjs");
  const args = [
    "compile",
    ...capnpImportArgs(importPath),
    `--src-prefix=${sourceDir}`,
    `--output=${pluginPath}:${pluginOutDir}`,
    schemaPath,
  ];
  // The plugin starts with `#!/usr/bin/env node`; this Node goes first on PATH.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}` };
  execFileSync("capnp", args, { env, stdio: ["ignore", "ignore", "inherit"] });
}

function readCapnpVersion() {
  let output;
  try {
    output = execFileSync("capnp", ["--version"], { encoding: "utf8" });
  } catch (error) {
    if (error.code === "ENOENT") {
      throw new Error("capnp was not found on PATH. Install it (Debian: apt-get install capnproto).");
    }
    throw error;
  }
  const match = /version\s+(\S+)/.exec(output);
  if (!match) {
    throw new Error(`unexpected output of capnp --version: ${output.trim()}`);
  }
  return match[1];
}

function buildHeader(capnpVersion) {
  return [
    "// GENERATED FILE: do not edit. Regenerate with `npm run generate:capnp`",
    "// (node scripts/generate-capnp.mjs).",
    `// Source: workerd.capnp from the npm package workerd@${WORKERD_VERSION}, patched for`,
    "// capnp 0.9.2 by scripts/workerd-schema.mjs (c++.capnp stand-in, ServiceDesignator defaults",
    "// written as struct literals); `override` modifiers added by scripts/generate-capnp.mjs.",
    `// Generator: capnp ${capnpVersion} with the capnpc-ts plugin of capnp-es@${CAPNP_ES_VERSION}.`,
    "",
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.some((arg) => arg !== "--check")) {
    console.error("usage: node scripts/generate-capnp.mjs [--check]");
    process.exit(2);
  }
  const text = generateBindings();
  const current = existsSync(bindingsPath) ? readFileSync(bindingsPath, "utf8") : undefined;
  if (args.includes("--check")) {
    if (current !== text) {
      console.error(`${relative(root, bindingsPath)} is out of date: run npm run generate:capnp`);
      process.exit(1);
    }
    console.log(`${relative(root, bindingsPath)} is up to date`);
  } else {
    writeFileSync(bindingsPath, text);
    console.log(`wrote ${relative(root, bindingsPath)}`);
  }
}
