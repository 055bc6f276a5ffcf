/**
 * The sandboxing directives of the system services: a profile per target,
 * derived from the config where a value depends on it (address families, IP
 * filter), with the deployment's `hardening` changes applied on top.
 *
 * Measured with `systemd-analyze security --offline=true` on systemd 252:
 * the `strict` profile scores 0.9 while every upstream is on a loopback
 * address. It scores 1.0 otherwise, because the analyzer rates an IP allow
 * list with other addresses higher. The `nsenter` profile scores 1.2. The
 * test suite checks the scores of the fixtures.
 */
import type {
  ResolvedConfig,
  ResolvedHardening,
  ResolvedSystemdDeployment,
  ResolvedSystemdNsenterDeployment,
} from "../config/resolved.js";
import { isIPv4, isIPv6 } from "../util/address.js";

/** A directive of a `[Service]` section with its values, one line each. */
export interface Directive {
  key: string;
  values: string[];
}

export type HardeningProfile = "strict" | "nsenter";

type ServiceDeployment = ResolvedSystemdDeployment | ResolvedSystemdNsenterDeployment;

/** Returns the profile that a target starts from. */
export function profileOf(deployment: ServiceDeployment): HardeningProfile {
  return deployment.target === "systemd" ? "strict" : "nsenter";
}

/** Returns the service's sandboxing directives: the target's profile with the user's changes. */
export function serviceHardening(config: ResolvedConfig, deployment: ServiceDeployment): Directive[] {
  return applyHardening(hardeningProfile(config, profileOf(deployment)), deployment.hardening);
}

/**
 * Returns the directives of `profile` for `config`. The two profiles differ
 * where nsenter needs it: ProtectHome=read-only, because the start script
 * reads Podman's pid files under /run/user/UID; RestrictNamespaces allows
 * entering user and network namespaces; no PrivateUsers=, which would hide
 * the Podman user's namespaces; and PrivateNetwork=yes, which is harmless
 * there because the listening sockets are inherited and new connections
 * start in the entered namespace.
 */
export function hardeningProfile(config: ResolvedConfig, profile: HardeningProfile): Directive[] {
  const strict = profile === "strict";
  const yes = ["yes"];
  const table: [key: string, values: string[] | undefined][] = [
    ["NoNewPrivileges", yes],
    ["CapabilityBoundingSet", [""]],
    ["AmbientCapabilities", [""]],
    ["ProtectSystem", ["strict"]],
    ["ProtectHome", strict ? yes : ["read-only"]],
    ["PrivateTmp", yes],
    ["PrivateDevices", yes],
    ["PrivateUsers", strict ? yes : undefined],
    ["PrivateMounts", yes],
    ["PrivateNetwork", strict ? undefined : yes],
    ["ProtectKernelTunables", yes],
    ["ProtectKernelModules", yes],
    ["ProtectKernelLogs", yes],
    ["ProtectClock", yes],
    ["ProtectHostname", yes],
    ["ProtectControlGroups", yes],
    ["ProtectProc", ["invisible"]],
    ["ProcSubset", ["pid"]],
    ["RestrictNamespaces", strict ? yes : ["user net"]],
    ["RestrictAddressFamilies", ["AF_UNIX AF_INET AF_INET6"]],
    ["LockPersonality", yes],
    ["RestrictRealtime", yes],
    ["RestrictSUIDSGID", yes],
    ["RemoveIPC", yes],
    ["SystemCallArchitectures", ["native"]],
    ["SystemCallFilter", ["@system-service", "~@privileged @resources"]],
    ["SystemCallErrorNumber", ["EPERM"]],
    ["UMask", ["0077"]],
    ["DevicePolicy", ["closed"]],
    ["KeyringMode", ["private"]],
  ];

  const allowed = allowedAddresses(config);
  if (allowed !== undefined) {
    table.push(["IPAddressDeny", ["any"]], ["IPAddressAllow", allowed.length > 0 ? allowed : undefined]);
  }
  return table.flatMap(([key, values]) => (values === undefined ? [] : [{ key, values }]));
}

/**
 * Returns what `IPAddressAllow=` lists behind `IPAddressDeny=any`: the
 * subnet of each upstream container's network, or the upstream's own IP
 * address, or for a pass-through upstream the outbound's allow list, plus
 * `localhost` for sockets that workerd binds to a loopback address.
 * Upstreams addressed by host name add nothing, so the deployment must list
 * their addresses in `hardening.set.IPAddressAllow`.
 *
 * Returns undefined when no IP filter can be used. The service's filter also
 * applies to sockets that workerd binds itself, so one bound to another
 * address must accept clients from anywhere. Sockets passed in by a socket
 * unit are filtered by that unit, not by the service.
 */
export function allowedAddresses(config: ResolvedConfig): string[] | undefined {
  const bound = config.sockets.filter((socket) => socket.activation === "workerd");
  if (bound.some((socket) => socket.address === undefined || !isLoopback(socket.address))) {
    return undefined;
  }

  const allowed = new Set<string>();
  if (bound.length > 0) {
    allowed.add("localhost");
  }
  for (const upstream of config.upstreams) {
    const network = config.networks.find((candidate) => candidate.name === upstream.container?.network);
    if (upstream.address === undefined) {
      // A pass-through upstream connects wherever the client requests, within the
      // network outbound's allow list, which then lists CIDR ranges only.
      const allow = config.outbound.mode === "network" ? config.outbound.allow : [];
      allow.forEach((range) => allowed.add(range));
    } else if (upstream.container?.ip !== undefined && network?.subnet !== undefined) {
      allowed.add(network.subnet);
    } else if (upstream.address.kind !== "name") {
      allowed.add(upstream.address.host);
    }
  }
  return [...allowed];
}

/** Returns whether an IP address is on the loopback network: 127.0.0.0/8, ::1 or IPv4-mapped 127.0.0.0/8. */
export function isLoopback(address: string): boolean {
  if (isIPv4(address)) {
    return address.startsWith("127.");
  }
  if (!isIPv6(address)) {
    return false;
  }
  // The URL parser writes IPv6 addresses in their shortest form: [::1], [::ffff:7f00:1].
  const canonical = new URL(`http://[${address}]/`).hostname;
  if (canonical === "[::1]") {
    return true;
  }
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}\]$/.exec(canonical);
  return mapped !== null && (parseInt(mapped[1]!, 16) >> 8) === 127;
}

/**
 * Applies the user's changes to a profile: `remove` drops directives, and
 * each `set` entry replaces every line of its directive, or is appended
 * when the profile lacks it.
 */
export function applyHardening(profile: readonly Directive[], hardening: ResolvedHardening): Directive[] {
  const removed = new Set(hardening.remove);
  const result = profile.filter((directive) => !removed.has(directive.key)).map((directive) => ({ ...directive }));
  for (const [key, values] of hardening.set) {
    const existing = result.find((directive) => directive.key === key);
    if (existing) {
      existing.values = [...values];
    } else {
      result.push({ key, values: [...values] });
    }
  }
  return result;
}
