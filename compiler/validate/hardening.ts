/**
 * Checks of a deployment's `hardening` changes: known directives, valid
 * values, and nothing that stops workerd from working. They run on the
 * resolved config, because what breaks depends on the target's profile and
 * on the upstreams and sockets.
 */
import type {
  ResolvedConfig,
  ResolvedSystemdDeployment,
  ResolvedSystemdNsenterDeployment,
} from "../config/resolved.js";
import { closestMatch, formatPath, type Diagnostic } from "../diagnostics.js";
import {
  allowedAddresses,
  applyHardening,
  hardeningProfile,
  isLoopback,
  profileOf,
  type Directive,
} from "../lower/hardening.js";
import { generatedDirectives, isFalse, isTrue, serviceDirectives } from "../model/service-directives.js";
import { isIPv4, isIPv6, parseCidr } from "../util/address.js";
import type { Report } from "./report.js";

type ServiceDeployment = ResolvedSystemdDeployment | ResolvedSystemdNsenterDeployment;

/** Returns the problems in the deployment's `hardening`; none for targets without a system service. */
export function checkHardening(config: ResolvedConfig): Diagnostic[] {
  const deployment = config.deployment;
  if (deployment.target === "quadlet") {
    return [];
  }
  const diagnostics: Diagnostic[] = [];
  const report: Report = (diagnostic) => diagnostics.push({ severity: "error", ...diagnostic });

  const profile = hardeningProfile(config, profileOf(deployment));
  checkRemoved(deployment, profile, report);
  for (const [key, values] of deployment.hardening.set) {
    checkSetDirective(config, deployment, key, values, report);
  }
  checkNameUpstreams(config, deployment, profile, report);
  return diagnostics;
}

function checkRemoved(deployment: ServiceDeployment, profile: readonly Directive[], report: Report): void {
  const setKeys = new Set(deployment.hardening.set.map(([key]) => key));
  deployment.hardening.remove.forEach((key, index) => {
    const path = formatPath(["deployment", "hardening", "remove", index]);
    if (!checkKnownDirective(key, path, report)) {
      return;
    }
    if (setKeys.has(key)) {
      report({
        code: "conflicting-hardening",
        expected: "a directive that is either set or removed",
        path,
        message: `${key}= is both set and removed; keep it in one of "set" and "remove".`,
        received: key,
      });
    } else if (!profile.some((directive) => directive.key === key)) {
      report({
        severity: "warning",
        code: "directive-not-in-profile",
        expected: "a directive of the default set",
        path,
        message: `${key}= is not in the ${profileOf(deployment)} profile of the "${deployment.target}" target, so there is nothing to remove.`,
        received: key,
      });
    }
  });
}

function checkSetDirective(
  config: ResolvedConfig,
  deployment: ServiceDeployment,
  key: string,
  values: readonly string[],
  report: Report,
): void {
  const path = formatPath(["deployment", "hardening", "set", key]);
  if (!checkKnownDirective(key, path, report)) {
    return;
  }
  const spec = serviceDirectives.get(key)!;
  if (values.length === 0 || (values.length > 1 && !spec.list)) {
    report({
      code: "invalid-directive-value",
      expected: values.length === 0 ? "a value" : "a single value",
      path,
      message:
        values.length === 0
          ? `${key}= needs a value; to leave it out, list it in "remove".`
          : `${key}= takes one value, not a list: systemd keeps only the last line of it.`,
      received: values,
    });
    return;
  }

  for (const value of values) {
    const problem = valueProblem(key, value);
    if (problem !== undefined) {
      report({ code: "invalid-directive-value", path, message: problem, received: value, expected: "a valid value" });
      return;
    }
  }

  const breaks = breakingReason(config, deployment, key, values);
  if (breaks !== undefined) {
    report({
      code: "breaks-workerd",
      expected: "a value that workerd can run with",
      path,
      message: `${key}=${values.join(" ")} would stop workerd from working: ${breaks}.`,
      received: values.length === 1 ? values[0] : values,
      hint: "Leave this directive at its default.",
    });
  }
}

/** Reports a directive that is generated or unknown; returns whether `key` may be changed. */
function checkKnownDirective(key: string, path: string, report: Report): boolean {
  const generated = generatedDirectives.get(key);
  if (generated !== undefined) {
    report({
      code: "generated-directive",
      expected: "a sandboxing directive, not one the compiler generates",
      path,
      message: `${key}= is written by workerd-compose and cannot be changed through "hardening": ${generated}.`,
      received: key,
    });
    return false;
  }
  if (!serviceDirectives.has(key)) {
    const suggestion = closestMatch(key, serviceDirectives.keys());
    report({
      code: "unknown-directive",
      path,
      message: `${key}= is not a sandboxing or resource-control directive of [Service] that "hardening" can change.`,
      received: key,
      expected: "a directive of systemd.exec(5) or systemd.resource-control(5), such as ProtectHome or MemoryMax",
      ...(suggestion ? { hint: `Did you mean "${suggestion}"?` } : {}),
    });
    return false;
  }
  return true;
}

/** Returns why `value` is not valid for `key`, or undefined when it is. */
function valueProblem(key: string, value: string): string | undefined {
  if (/[\x00-\x1f\x7f]/.test(value)) {
    return `The value of ${key}= contains a line break or another control character, which a unit file cannot hold.`;
  }
  const spec = serviceDirectives.get(key)!;
  if (spec.values !== undefined && !spec.values.includes(value.toLowerCase())) {
    return `Invalid value "${value}" for ${key}=: expected ${spec.values.map((allowed) => `"${allowed}"`).join(", ")}.`;
  }
  if (spec.pattern !== undefined && !spec.pattern.test(value)) {
    return `Invalid value "${value}" for ${key}=: expected ${spec.expected}.`;
  }
  if (key === "IPAddressAllow" || key === "IPAddressDeny") {
    const invalid = value.split(/\s+/).filter((word) => word !== "" && !isIpAccessEntry(word));
    if (invalid.length > 0) {
      return `Invalid entry "${invalid[0]}" in ${key}=: expected an IP address, a CIDR range, "any", "localhost", "link-local" or "multicast".`;
    }
  }
  return undefined;
}

function isIpAccessEntry(word: string): boolean {
  if (["any", "localhost", "link-local", "multicast"].includes(word)) {
    return true;
  }
  return isIPv4(word) || isIPv6(word) || typeof parseCidr(word) !== "string";
}

/**
 * Returns why setting `key` to `values` stops workerd, or undefined. Each
 * case was measured with workerd under systemd 252: V8 aborts under
 * MemoryDenyWriteExecute=yes (only --jitless survives it, and workerd-compose
 * does not pass that), a host service in a private network namespace cannot
 * reach its upstreams, and nsenter cannot enter the Podman user's namespaces
 * from a private user namespace, with /run/user hidden, or with those
 * namespace types restricted.
 */
function breakingReason(
  config: ResolvedConfig,
  deployment: ServiceDeployment,
  key: string,
  values: readonly string[],
): string | undefined {
  const value = values[0]!;
  if (key === "MemoryDenyWriteExecute" && isTrue(value)) {
    return "V8 compiles JavaScript to machine code at run time, which needs memory that is writable and executable, so workerd aborts";
  }
  if (deployment.target === "systemd") {
    if (key === "PrivateNetwork" && isTrue(value) && config.upstreams.length > 0) {
      return "a private network namespace has only its own loopback device, so workerd cannot reach any upstream";
    }
    const bound = config.sockets.find(
      (socket) => socket.activation === "workerd" && (socket.address === undefined || !isLoopback(socket.address)),
    );
    if (key === "IPAddressDeny" && bound !== undefined) {
      return `the service's IP filter also applies to socket "${bound.name}", which workerd binds itself, so its clients could not connect`;
    }
    return undefined;
  }

  if (key === "PrivateUsers" && isTrue(value)) {
    return "nsenter cannot enter the Podman user's namespaces from a private user namespace";
  }
  if (key === "ProtectHome" && (isTrue(value) || value.toLowerCase() === "tmpfs")) {
    return `it hides /run/user/${deployment.uid}, where the start script reads the pid files of Podman's processes`;
  }
  if (key === "RestrictNamespaces" && !allowsNamespaces(values, ["user", "net"])) {
    return "nsenter must enter the Podman user's user and network namespaces";
  }
  return undefined;
}

/**
 * Returns whether RestrictNamespaces= lines allow every type in `needed`.
 * Each line is a boolean, a list of allowed types, or `~` and a list of
 * denied types. systemd merges the allow lists and the deny lists separately.
 */
function allowsNamespaces(values: readonly string[], needed: readonly string[]): boolean {
  const allowed = new Set<string>();
  let hasAllowList = false;
  for (const value of values) {
    if (isTrue(value)) {
      return false;
    }
    if (isFalse(value)) {
      continue;
    }
    const types = value.replace(/^~/, "").split(/\s+/);
    if (value.startsWith("~")) {
      if (needed.some((type) => types.includes(type))) {
        return false;
      }
    } else {
      hasAllowList = true;
      types.forEach((type) => allowed.add(type));
    }
  }
  return !hasAllowList || needed.every((type) => allowed.has(type));
}

/**
 * An upstream addressed by host name has no address that the IP filter can
 * allow, so the deployment must list the addresses (and those of the DNS
 * server) itself, or drop the filter.
 */
function checkNameUpstreams(
  config: ResolvedConfig,
  deployment: ServiceDeployment,
  profile: readonly Directive[],
  report: Report,
): void {
  const effective = applyHardening(profile, deployment.hardening);
  const filtered = effective.some((directive) => directive.key === "IPAddressDeny");
  const allowSet = deployment.hardening.set.some(([key]) => key === "IPAddressAllow");
  if (!filtered || allowSet || allowedAddresses(config) === undefined) {
    return;
  }
  config.upstreams.forEach((upstream, index) => {
    if (upstream.address?.kind !== "name") {
      return;
    }
    report({
      code: "ip-filter-blocks-upstream",
      expected: "an IP filter that lets every upstream through",
      path: formatPath(["upstreams", index, "address"]),
      message: `Upstream "${upstream.name}" is addressed by the host name "${upstream.address.host}", but the service may only connect to the IP addresses it allows (IPAddressDeny=any), and none can be derived from a name.`,
      received: upstream.address.host,
      hint: 'List the addresses it resolves to, and your DNS server\'s, in deployment.hardening.set.IPAddressAllow, or add "IPAddressDeny" to deployment.hardening.remove.',
    });
  });
}
