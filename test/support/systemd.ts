/**
 * systemd's own tools on generated units: `systemd-analyze verify` in a
 * scratch root (system units) or a scratch home (user units), and
 * `systemd-analyze security --offline=true`. Files are laid out where the
 * install plan puts them, so the tests also check the plan against the units.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { compile, loadConfigFile, type CompileResult, type InstallPlan } from "../../compiler/index.js";
import { fileSystemCompileOptions } from "../../compiler/build.js";
import { writeOutputTree } from "../../compiler/write/index.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Compiles fixtures/NAME into `outDir` and returns the result, failing on any diagnostic. */
export async function buildFixture(name: string, outDir: string): Promise<CompileResult> {
  const directory = path.join(root, "fixtures", name);
  const loaded = await loadConfigFile(path.join(directory, "workerd-compose.config.ts"));
  // Files the config names are read, and user workers bundled, as build() does.
  const result = compile(loaded.value, await fileSystemCompileOptions(loaded));
  assert.deepEqual(result.diagnostics, []);
  writeOutputTree(outDir, result.files);
  return result;
}

/** Maps an install destination into a scratch root, with `~` and `~NAME` below `home`. */
export function scratchPath(destination: string, systemRoot: string, home: string): string {
  const tilde = /^~[^/]*/.exec(destination)?.[0];
  return tilde === undefined ? path.join(systemRoot, destination) : path.join(home, destination.slice(tilde.length));
}

/**
 * Copies every planned file to its destination below `systemRoot` (or `home`),
 * with the host's standard system units beside them and an executable stub
 * at each path in `stubs`. Returns the scratch paths of the installed files.
 */
export function installScratch(
  plan: InstallPlan,
  outDir: string,
  systemRoot: string,
  home: string,
  stubs: readonly string[],
): Map<string, string> {
  mkdirSync(path.join(systemRoot, "usr/lib/systemd"), { recursive: true });
  cpSync("/lib/systemd/system", path.join(systemRoot, "usr/lib/systemd/system"), {
    recursive: true,
    verbatimSymlinks: true,
  });
  const installed = new Map<string, string>();
  for (const file of plan.files) {
    const target = scratchPath(file.destination, systemRoot, home);
    mkdirSync(path.dirname(target), { recursive: true });
    cpSync(path.join(outDir, file.source), target);
    chmodSync(target, file.mode);
    installed.set(file.source, target);
  }
  for (const stub of stubs) {
    writeStub(path.join(systemRoot, stub));
  }
  return installed;
}

/** Writes an executable shell script that does nothing. */
export function writeStub(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, "#!/bin/sh\n");
  chmodSync(file, 0o755);
}

/** Runs `systemd-analyze verify` on system units in `systemRoot`; returns everything it printed. */
export function verifySystemUnits(systemRoot: string, units: readonly string[]): string {
  const run = spawnSync("systemd-analyze", ["verify", "--man=no", `--root=${systemRoot}`, ...units], {
    encoding: "utf8",
    cwd: systemRoot,
  });
  return `${run.stdout}${run.stderr}${run.status === 0 ? "" : `exit status ${run.status}\n`}`;
}

/**
 * Runs `systemd-analyze --user verify` on user units below `home`'s
 * ~/.config/systemd/user. `--root` does not work for user units, so the
 * manager reads `home` through XDG_CONFIG_HOME, and the host's own user units
 * (default.target and friends) from their usual places.
 */
export function verifyUserUnits(home: string, runtimeDirectory: string, units: readonly string[]): string {
  mkdirSync(runtimeDirectory, { recursive: true, mode: 0o700 });
  const run = spawnSync("systemd-analyze", ["--user", "verify", "--man=no", ...units], {
    encoding: "utf8",
    cwd: home,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, ".config"),
      XDG_RUNTIME_DIR: runtimeDirectory,
    },
  });
  return `${run.stdout}${run.stderr}${run.status === 0 ? "" : `exit status ${run.status}\n`}`;
}

/** Returns the overall exposure that `systemd-analyze security --offline=true` gives a unit file. */
export function exposureScore(unitFile: string): number {
  const run = spawnSync("systemd-analyze", ["security", "--offline=true", unitFile], {
    encoding: "utf8",
    env: { ...process.env, LC_ALL: "C" },
  });
  const match = /Overall exposure level for \S+: (\d+\.\d+)/.exec(run.stdout);
  assert.ok(match, `no exposure level in the output of systemd-analyze security:\n${run.stdout}${run.stderr}`);
  return Number(match[1]);
}

/**
 * Writes, for each Quadlet file in `quadletDirectory`, a stand-in for the
 * service that Quadlet would generate from it: the file's [Unit] and
 * [Install] sections as they are, the network services as dependencies, and
 * a [Service] that runs a stub podman. Debian 12's Podman has no Quadlet
 * binary, so these stand-ins let `verify` check the Quadlet files' systemd
 * sections and the socket unit that activates the workerd container.
 */
export function writeQuadletStandIns(quadletDirectory: string, unitDirectory: string, podman: string): string[] {
  writeStub(podman);
  const written: string[] = [];
  for (const fileName of readdirNames(quadletDirectory)) {
    const text = readFileSync(path.join(quadletDirectory, fileName), "utf8");
    const sections = parseSections(text);
    const [baseName, kind] = [fileName.replace(/\.[^.]+$/, ""), path.extname(fileName)];

    let serviceName: string;
    let service: string[];
    if (kind === ".network") {
      serviceName = `${baseName}-network.service`;
      service = ["Type=oneshot", "RemainAfterExit=yes", `ExecStart=${podman} network create --ignore ${baseName}`];
    } else {
      serviceName = `${baseName}.service`;
      const networks = (sections.get("Container") ?? [])
        .filter((line) => line.startsWith("Network="))
        .map((line) => line.slice("Network=".length).replace(/\.network$/, "-network.service"));
      sections.set("Unit", [...(sections.get("Unit") ?? []), ...networks.flatMap((unit) => [`Requires=${unit}`, `After=${unit}`])]);
      service = ["Type=notify", "NotifyAccess=all", `ExecStart=${podman} run --rm --sdnotify=conmon ${baseName}`];
    }
    const lines = [
      "[Unit]",
      ...(sections.get("Unit") ?? []),
      `SourcePath=${path.join(quadletDirectory, fileName)}`,
      "",
      "[Service]",
      ...service,
    ];
    if (sections.has("Install")) {
      lines.push("", "[Install]", ...sections.get("Install")!);
    }
    const target = path.join(unitDirectory, serviceName);
    mkdirSync(unitDirectory, { recursive: true });
    writeFileSync(target, `${lines.join("\n")}\n`);
    written.push(target);
  }
  return written;
}

function readdirNames(directory: string): string[] {
  return existsSync(directory) ? readdirSync(directory).sort() : [];
}

/** Splits a unit file into its sections' `Key=value` lines. */
export function parseSections(text: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split("\n")) {
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = [];
      sections.set(header[1]!, current);
    } else if (line !== "" && current) {
      current.push(line);
    }
  }
  return sections;
}

/** Returns the values of `key` in `section` of a unit file, in order. */
export function unitValues(text: string, section: string, key: string): string[] {
  return (parseSections(text).get(section) ?? [])
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}
