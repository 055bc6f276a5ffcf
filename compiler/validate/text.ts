/**
 * Free-form strings that end up in unit files, start scripts and
 * config.capnp: file-system paths, container image references and CIDR
 * ranges. Names are limited by the schema's patterns. Paths and images are
 * checked here because a unit file cannot hold a line break, drops leading
 * and trailing blanks and joins a line ending in a backslash with the next
 * one.
 */
import path from "node:path";

import { quote } from "../diagnostics.js";
import { isIPv4, isIPv6, parseCidr } from "../util/address.js";
import { containsNoncharacter } from "../util/unicode.js";
import type { Report } from "./report.js";

/** Rules for a path, from the place that reads it. */
export interface RuntimePathRules {
  /** Whether the path may start with `%h`, the home directory of the user manager that reads the unit. */
  allowHome: boolean;
}

/**
 * Checks a path that systemd or a start script reads on the deployment
 * machine. A relative path would be resolved there against the service's
 * working directory (`/` for systemd), not against the directory the build
 * runs in, so only absolute paths (and `%h/…` where allowed) are accepted.
 */
export function checkRuntimePath(value: string, configPath: string, rules: RuntimePathRules, report: Report): void {
  const home = rules.allowHome && (value === "%h" || value.startsWith("%h/"));
  const expected = rules.allowHome
    ? "an absolute, normalised path, or one that starts with %h/"
    : "an absolute, normalised path";

  if (!rules.allowHome && value.startsWith("%h")) {
    report({
      code: "invalid-path",
      path: configPath,
      message: `Invalid path ${quote(value)}: in a system service systemd resolves "%h" to root's home directory, even with User=, so the path must be written out.`,
      received: value,
      expected,
    });
    return;
  }
  if (!home && !checkAbsolutePath(value, configPath, "the service's working directory", report, rules.allowHome)) {
    return;
  }

  const rest = home ? value.slice(2) : value;
  if (/[\s"'\\$%\p{Cc}]/u.test(rest) || containsNoncharacter(rest)) {
    report({
      code: "invalid-path",
      path: configPath,
      message: `Invalid path ${quote(value)}: it must contain no spaces, control characters, Unicode noncharacters, quotes, backslashes, "$" or "%"${rules.allowHome ? " (except a leading %h)" : ""}.`,
      received: value,
      expected,
    });
    return;
  }

  const normalised = path.posix.normalize(value).replace(/(.)\/$/, "$1");
  if (normalised !== value) {
    report({
      code: "invalid-path",
      path: configPath,
      message: `Invalid path ${quote(value)}: it must be normalised, without "." or ".." segments, repeated or trailing slashes.`,
      received: value,
      expected,
      hint: `Did you mean ${quote(normalised)}?`,
    });
  }
}

/**
 * Reports a relative path, which would be resolved on the deployment machine
 * against `base` instead of against this config's directory. Returns whether
 * the path is absolute.
 */
export function checkAbsolutePath(
  value: string,
  configPath: string,
  base: string,
  report: Report,
  allowHome = false,
): boolean {
  if (value.startsWith("/")) {
    return true;
  }
  const homeRelative = value === "~" || value.startsWith("~/");
  report({
    code: "relative-path",
    path: configPath,
    message: `The path ${quote(value)} is relative, but it is used at run time on the deployment machine, where it would be resolved against ${base} instead of this config's directory.`,
    received: value,
    expected: allowHome ? "an absolute path, or one that starts with %h/" : "an absolute path",
    ...(homeRelative && allowHome ? { hint: `Did you mean ${quote(`%h${value.slice(1)}`)}?` } : {}),
  });
  return false;
}

// A container image reference: [DOMAIN[:PORT]/]PATH[:TAG][@DIGEST], with the
// character classes of the OCI distribution reference grammar.
const domainComponent = "(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])";
const domain = `${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?`;
const pathComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const tag = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}";
const imageReference = new RegExp(
  `^(?:${domain}/)?${pathComponent}(?:/${pathComponent})*(?::${tag})?(?:@${digest})?$`,
);

/** Checks a container image reference such as `docker.io/traefik/whoami:v1.10`. */
export function checkImageReference(value: string, configPath: string, report: Report): void {
  // Quadlet also takes the file name of a `.image` or `.build` unit.
  if (imageReference.test(value) || /^[A-Za-z0-9_.-]+\.(image|build)$/.test(value)) {
    return;
  }
  const lowerCase = lowerCaseRepository(value.trim());
  report({
    code: "invalid-image",
    path: configPath,
    message: `Invalid image reference ${quote(value)}: it must look like [REGISTRY/]NAME[:TAG][@DIGEST], with a lower-case name and no spaces or special characters.`,
    received: value,
    expected: "a container image reference such as docker.io/traefik/whoami:v1.10, or a .image or .build unit",
    ...(lowerCase !== value && imageReference.test(lowerCase) ? { hint: `Did you mean ${quote(lowerCase)}?` } : {}),
  });
}

/** Lower-cases the repository path of a reference, keeping the registry host and the tag as written. */
function lowerCaseRepository(value: string): string {
  const [name = "", ...suffix] = value.split(/(?=[:@][^/]*$)/);
  const segments = name.split("/");
  const hasDomain = segments.length > 1 && /[.:]|^localhost$/.test(segments[0]!);
  const lowered = segments.map((segment, index) => (hasDomain && index === 0 ? segment : segment.toLowerCase()));
  return lowered.join("/") + suffix.join("");
}

/** Checks a CIDR range and warns when host bits are set, suggesting the network address. */
export function checkCidr(text: string, path: string, expected: string, report: Report): void {
  const cidr = parseCidr(text);
  if (typeof cidr === "string") {
    report({
      code: "invalid-cidr",
      path,
      message: `Invalid range ${quote(text)}: ${cidr}`,
      received: text,
      expected,
      ...cidrHint(text),
    });
    return;
  }
  const network = networkAddress(cidr.address, cidr.prefix, cidr.family);
  if (network !== undefined && network !== cidr.address) {
    report({
      severity: "warning",
      code: "cidr-host-bits",
      path,
      message: `The range ${quote(text)} has host bits set after the /${cidr.prefix} prefix; it means the same as ${network}/${cidr.prefix}.`,
      received: text,
      expected: "a range written with its network address",
      hint: `Did you mean ${quote(`${network}/${cidr.prefix}`)}?`,
    });
  }
}

function cidrHint(text: string): { hint?: string } {
  const bracketed = /^\[([^\]]+)\](\/\d+)?$/.exec(text);
  if (bracketed && isIPv6(bracketed[1]!)) {
    return { hint: `Did you mean ${quote(`${bracketed[1]}${bracketed[2] ?? "/128"}`)}? Ranges are written without brackets.` };
  }
  if (isIPv4(text)) {
    return { hint: `Did you mean ${quote(`${text}/32`)}?` };
  }
  if (isIPv6(text)) {
    return { hint: `Did you mean ${quote(`${text}/128`)}?` };
  }
  return {};
}

/** Returns the IPv4 network address of a range, or undefined for IPv6 (not compared). */
function networkAddress(address: string, prefix: number, family: 4 | 6): string | undefined {
  if (family !== 4) {
    return undefined;
  }
  const value = address.split(".").reduce((total, octet) => total * 256 + Number(octet), 0);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  const network = (value & mask) >>> 0;
  return [24, 16, 8, 0].map((shift) => (network >>> shift) & 255).join(".");
}
