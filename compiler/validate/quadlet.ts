/**
 * Checks of the generated Quadlet files: every key must exist in the Podman
 * release the deployment targets, and the names that tie the files together
 * (network files, `Network=` references, container names, the addresses in
 * config.capnp) must agree.
 */
import type { ResolvedConfig } from "../config/resolved.js";
import quadletKeys from "../data/quadlet-keys.json" with { type: "json" };
import type { Diagnostic } from "../diagnostics.js";
import type { NamedUnit } from "../lower/units.js";
import type { UnitEntry, UnitFile } from "../model/unit.js";
import type { Config } from "../model/workerd.js";
import { formatHostPort } from "../util/address.js";
import { compareVersions, firstQuadletRelease } from "./deployment.js";

/**
 * Release that introduced each key, by Quadlet section: `{ Container: { Image:
 * "4.4.0", … }, … }`, or `HEAD` for a key that no release has yet.
 */
const keysBySection: Readonly<Record<string, Readonly<Record<string, string>>>> = quadletKeys;

const unreleased = "HEAD";

/** Sections that Quadlet passes on to the generated service unchanged. */
const systemdSections = new Set(["Unit", "Service", "Install"]);

/** A value whose meaning some release added to a key that existed before. */
interface ValueGate {
  section: string;
  key: string;
  matches: (value: string) => boolean;
  since: string;
  description: string;
}

const valueGates: ValueGate[] = [
  {
    section: "Container",
    key: "Image",
    matches: (value) => value.endsWith(".image"),
    since: "4.8.0",
    description: "naming a .image unit",
  },
  {
    section: "Container",
    key: "Notify",
    matches: (value) => value === "healthy",
    since: "5.0.0",
    description: "set to healthy",
  },
  {
    section: "Container",
    key: "Image",
    matches: (value) => value.endsWith(".build"),
    since: "5.2.0",
    description: "naming a .build unit",
  },
  {
    section: "Container",
    key: "Network",
    matches: (value) => value.endsWith(".container"),
    since: "5.3.0",
    description: "naming a .container unit",
  },
];

/**
 * Returns the oldest Podman release whose Quadlet understands every key and
 * value of `units`, as `MAJOR.MINOR`: the newest release among those that
 * introduced them, and at least the first release with Quadlet. Unknown keys
 * are left to checkQuadletKeys().
 */
export function requiredPodmanRelease(units: readonly NamedUnit[]): string {
  let required = `${firstQuadletRelease}.0`;
  const consider = (since: string) => {
    if (compareVersions(since, required) > 0) {
      required = since;
    }
  };
  for (const { unit } of units) {
    for (const section of unit.sections) {
      if (systemdSections.has(section.name)) {
        continue;
      }
      for (const entry of section.entries) {
        const since = keysBySection[section.name]?.[entry.key];
        if (since !== undefined && since !== unreleased) {
          consider(since);
        }
        valueGates
          .filter((gate) => gate.section === section.name && gate.key === entry.key && gate.matches(entry.value.text))
          .forEach((gate) => consider(gate.since));
      }
    }
  }
  return required.replace(/\.0$/, "");
}

/** Returns an error for each key of a Quadlet section that `podmanVersion` does not know. */
export function checkQuadletKeys(units: readonly NamedUnit[], podmanVersion: string): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const { fileName, unit } of units) {
    for (const section of unit.sections) {
      if (systemdSections.has(section.name)) {
        continue;
      }
      for (const entry of section.entries) {
        const since = keysBySection[section.name]?.[entry.key];
        if (since === undefined || since === unreleased) {
          diagnostics.push(unknownKey(fileName, section.name, entry));
        } else if (compareVersions(since, podmanVersion) > 0) {
          diagnostics.push(tooNew(fileName, `[${section.name}] ${entry.key}=`, since, entry, podmanVersion, "quadlet-key-too-new"));
        } else {
          diagnostics.push(...valueProblems(fileName, section.name, entry, podmanVersion));
        }
      }
    }
  }
  return diagnostics;
}

function valueProblems(fileName: string, section: string, entry: UnitEntry, podmanVersion: string): Diagnostic[] {
  return valueGates
    .filter((gate) => gate.section === section && gate.key === entry.key && gate.matches(entry.value.text))
    .filter((gate) => compareVersions(gate.since, podmanVersion) > 0)
    .map((gate) =>
      tooNew(fileName, `[${section}] ${entry.key}= ${gate.description}`, gate.since, entry, podmanVersion, "quadlet-value-too-new"),
    );
}

function unknownKey(fileName: string, section: string, entry: UnitEntry): Diagnostic {
  return {
    severity: "error",
    code: "unknown-quadlet-key",
    path: entry.origin ?? "deployment",
    message: `${fileName}: [${section}] ${entry.key}= is not a Quadlet key of any Podman release.`,
    expected: `a key of [${section}] in Podman releases up to the newest one known to workerd-compose`,
    received: entry.key,
  };
}

function tooNew(
  fileName: string,
  subject: string,
  since: string,
  entry: UnitEntry,
  podmanVersion: string,
  code: string,
): Diagnostic {
  const release = since.replace(/\.0$/, "");
  const raise = `set deployment.podmanVersion to "${release}" if the host runs that release or a later one`;
  return {
    severity: "error",
    code,
    path: entry.origin ?? "deployment.podmanVersion",
    message: `${fileName}: ${subject} needs Podman ${release} or later, but the deployment targets Podman ${podmanVersion}.`,
    received: entry.value.text,
    expected: `Podman ${release} or later`,
    hint: entry.origin === undefined ? `S${raise.slice(1)}.` : `Change ${entry.origin}, or ${raise}.`,
  };
}

/**
 * Returns each disagreement between the names in the Quadlet files and
 * config.capnp. The compiler derives all of them from one config, so a
 * disagreement is a bug in the compiler, not in the config.
 */
export function findNameMismatches(config: ResolvedConfig, units: readonly NamedUnit[], workerd: Config): string[] {
  const problems: string[] = [];
  const files = new Map(units.map((named) => [named.fileName, named.unit]));

  // A .network file names its network after its base name, and every Network= refers to such a file.
  for (const [fileName, unit] of files) {
    if (fileName.endsWith(".network")) {
      const networkName = values(unit, "Network", "NetworkName")[0];
      const baseName = fileName.slice(0, -".network".length);
      if (networkName !== baseName) {
        problems.push(`${fileName} sets NetworkName=${networkName ?? ""}, not its base name ${baseName}`);
      }
    }
    for (const reference of values(unit, "Container", "Network")) {
      if (!files.has(reference)) {
        problems.push(`${fileName} joins Network=${reference}, but no such file is generated`);
      }
    }
  }

  // Each upstream container is named as workerd addresses it.
  for (const upstream of config.upstreams) {
    const container = upstream.container;
    if (container === undefined || upstream.address === undefined) {
      continue; // a pass-through upstream has neither
    }
    const unit = files.get(`${upstream.name}.container`);
    const containerName = unit && values(unit, "Container", "ContainerName")[0];
    if (containerName !== container.name) {
      problems.push(`${upstream.name}.container names its container ${containerName ?? "(missing)"}, not ${container.name}`);
    }
    // Podman's DNS, like any DNS, ignores case.
    const host = upstream.address.host.toLowerCase();
    if (host !== container.name.toLowerCase() && host !== container.ip) {
      problems.push(`upstream ${upstream.name} connects to ${upstream.address.host}, which is neither the container's name nor its IP address`);
    }
    const external = workerd.services?.find((candidate) => candidate.name === upstream.name)?.external;
    const expected = formatHostPort(upstream.address.host, upstream.address.port);
    if (external !== undefined && external.address !== expected) {
      problems.push(`config.capnp sends ${upstream.name} to ${external.address}, not ${expected}`);
    }
  }
  return problems;
}

/** Returns the encoded values of `key` in `section`. Names are plain text, so the encoding is the name. */
function values(unit: UnitFile, section: string, key: string): string[] {
  return unit.sections
    .filter((candidate) => candidate.name === section)
    .flatMap((candidate) => candidate.entries.filter((entry) => entry.key === key).map((entry) => entry.value.text));
}
