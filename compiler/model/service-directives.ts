/**
 * The `[Service]` directives that a deployment's `hardening` may set or
 * remove: systemd's sandboxing, security and resource-control settings
 * (systemd.exec(5), systemd.resource-control(5)), with the values each takes.
 */

/** The values a directive accepts. */
export interface DirectiveSpec {
  /** Whether systemd merges repeated lines of the directive; only these take a list. */
  list: boolean;
  /** Allowed values, compared without regard to case; undefined for free text. */
  values?: readonly string[];
  /** Pattern for free-text values, described by `expected`. */
  pattern?: RegExp;
  /** Description of a valid value, for diagnostics. */
  expected?: string;
}

const booleanValues = ["yes", "no", "true", "false", "on", "off", "1", "0"] as const;

const boolean: DirectiveSpec = { list: false, values: booleanValues };
const list: DirectiveSpec = { list: true };
const text: DirectiveSpec = { list: false };

/** Values that systemd reads as true in a boolean directive. */
export function isTrue(value: string): boolean {
  return ["yes", "true", "on", "1"].includes(value.toLowerCase());
}

/** Values that systemd reads as false in a boolean directive. */
export function isFalse(value: string): boolean {
  return ["no", "false", "off", "0"].includes(value.toLowerCase());
}

export const serviceDirectives: ReadonlyMap<string, DirectiveSpec> = new Map<string, DirectiveSpec>([
  // Security and capabilities
  ["NoNewPrivileges", boolean],
  ["CapabilityBoundingSet", list],
  ["AmbientCapabilities", list],
  ["SecureBits", list],
  ["KeyringMode", { list: false, values: ["inherit", "private", "shared"] }],
  ["UMask", { list: false, pattern: /^[0-7]{3,4}$/, expected: "an octal mode such as 0077" }],

  // File system and process sandboxing
  ["ProtectSystem", { list: false, values: [...booleanValues, "full", "strict"] }],
  ["ProtectHome", { list: false, values: [...booleanValues, "read-only", "tmpfs"] }],
  ["ProtectProc", { list: false, values: ["noaccess", "invisible", "ptraceable", "default"] }],
  ["ProcSubset", { list: false, values: ["all", "pid"] }],
  ["PrivateTmp", boolean],
  ["PrivateDevices", boolean],
  ["PrivateNetwork", boolean],
  ["PrivateUsers", boolean],
  ["PrivateMounts", boolean],
  ["PrivateIPC", boolean],
  ["ProtectKernelTunables", boolean],
  ["ProtectKernelModules", boolean],
  ["ProtectKernelLogs", boolean],
  ["ProtectClock", boolean],
  ["ProtectHostname", boolean],
  ["ProtectControlGroups", boolean],
  ["ReadWritePaths", list],
  ["ReadOnlyPaths", list],
  ["InaccessiblePaths", list],
  ["ExecPaths", list],
  ["NoExecPaths", list],
  ["TemporaryFileSystem", list],
  ["BindPaths", list],
  ["BindReadOnlyPaths", list],
  ["SupplementaryGroups", list],

  // Kernel interfaces
  ["RestrictNamespaces", list],
  ["RestrictAddressFamilies", list],
  ["RestrictFileSystems", list],
  ["RestrictNetworkInterfaces", list],
  ["LockPersonality", boolean],
  ["MemoryDenyWriteExecute", boolean],
  ["RestrictRealtime", boolean],
  ["RestrictSUIDSGID", boolean],
  ["RemoveIPC", boolean],
  ["SystemCallFilter", list],
  ["SystemCallArchitectures", list],
  ["SystemCallLog", list],
  [
    "SystemCallErrorNumber",
    { list: false, pattern: /^([A-Z][A-Z0-9]*|\d+)$/, expected: "an errno name such as EPERM, or its number" },
  ],

  // Devices and network access
  ["DevicePolicy", { list: false, values: ["auto", "closed", "strict"] }],
  ["DeviceAllow", list],
  ["IPAddressAllow", list],
  ["IPAddressDeny", list],
  ["SocketBindAllow", list],
  ["SocketBindDeny", list],

  // Resource limits
  ["MemoryHigh", text],
  ["MemoryMax", text],
  ["MemorySwapMax", text],
  ["TasksMax", text],
  ["CPUQuota", text],
  ["CPUWeight", text],
  ["IOWeight", text],
  ["LimitNOFILE", text],
  ["LimitCORE", text],
  ["Nice", { list: false, pattern: /^-?\d+$/, expected: "an integer from -20 to 19" }],
  ["OOMScoreAdjust", { list: false, pattern: /^-?\d+$/, expected: "an integer from -1000 to 1000" }],
]);

/**
 * Directives that the compiler writes itself, with the reason each cannot be
 * changed through `hardening`.
 */
export const generatedDirectives: ReadonlyMap<string, string> = new Map([
  ["Type", "workerd never tells systemd that it is ready, so it runs as Type=exec (Type=notify would time out)"],
  ["ExecStart", "it is the workerd command line that matches the socket unit"],
  ["User", 'it comes from the deployment\'s "user"'],
  ["Group", 'it comes from the deployment\'s "group"'],
  ["DynamicUser", 'it is set when the deployment has no "user"'],
  ["WorkingDirectory", 'it is the deployment\'s "directory"'],
]);
