/**
 * Lowers the system service of the `systemd` and `systemd-nsenter` targets:
 * workerd from the host file system, started by its socket unit, sandboxed
 * by the target's hardening profile.
 */
import type {
  ResolvedConfig,
  ResolvedSystemdDeployment,
  ResolvedSystemdNsenterDeployment,
} from "../config/resolved.js";
import { formatPath } from "../diagnostics.js";
import { UnitValue } from "../model/unit.js";
import { serviceHardening, type Directive } from "./hardening.js";
import {
  socketFdArguments,
  systemdSockets,
  text,
  unit,
  unitFileBase,
  type Entries,
  type NamedUnit,
} from "./units.js";
import { workerdServeFlags } from "./workerd.js";

/** File name of the start script that enters rootless Podman's namespaces. */
export const nsenterScriptName = "workerd-nsenter.sh";

/**
 * Returns workerd's command line on the host: the binary, `serve`, one
 * `--socket-fd` per socket of the socket unit, and the config file.
 */
export function workerdCommand(
  config: ResolvedConfig,
  deployment: ResolvedSystemdDeployment | ResolvedSystemdNsenterDeployment,
): string[] {
  return [
    deployment.workerdPath,
    "serve",
    ...workerdServeFlags(config),
    ...socketFdArguments(config),
    `${deployment.directory}/config.capnp`,
  ];
}

/** Builds the service of the `systemd` target: workerd itself, as a dynamic or a named user. */
export function lowerHostService(config: ResolvedConfig, deployment: ResolvedSystemdDeployment): NamedUnit {
  const identity: Entries =
    deployment.user === undefined
      ? [["DynamicUser", text("yes")]]
      : [["User", text(deployment.user), "deployment.user"]];
  if (deployment.group !== undefined) {
    identity.push(["Group", text(deployment.group), "deployment.group"]);
  }
  return lowerService(config, deployment, {
    description: deployment.instances > 1 ? "workerd reverse proxy, one of several instances" : "workerd reverse proxy",
    execStart: workerdCommand(config, deployment),
    identity,
  });
}

/**
 * Builds the service of the `systemd-nsenter` target, which runs the start
 * script as the rootless Podman user, hardened with the set of directives
 * that still lets nsenter enter that user's namespaces.
 */
export function lowerNsenterService(
  config: ResolvedConfig,
  deployment: ResolvedSystemdNsenterDeployment,
): NamedUnit {
  return lowerService(config, deployment, {
    description: `workerd reverse proxy in the Podman network of ${deployment.user}`,
    execStart: [`${deployment.directory}/${nsenterScriptName}`],
    identity: [
      ["User", text(deployment.user), "deployment.user"],
      ["Group", text(deployment.group), "deployment.group"],
    ],
  });
}

interface ServiceParts {
  description: string;
  execStart: string[];
  identity: Entries;
}

function lowerService(
  config: ResolvedConfig,
  deployment: ResolvedSystemdDeployment | ResolvedSystemdNsenterDeployment,
  parts: ServiceParts,
): NamedUnit {
  const unitEntries: Entries = [["Description", text(parts.description)]];
  const instances = deployment.target === "systemd" ? deployment.instances : 1;
  if (systemdSockets(config).length > 0) {
    // An instance of the service template belongs to the socket unit of the same instance.
    const socketUnit =
      instances > 1
        ? UnitValue.unitNameWithInstance(`${deployment.unitName}@%i.socket`)
        : text(`${deployment.unitName}.socket`);
    unitEntries.push(["Requires", socketUnit], ["After", socketUnit]);
  }
  // A socket that workerd binds to a fixed address needs that address configured first.
  const bound = config.sockets.filter((socket) => socket.activation === "workerd");
  if (bound.some((socket) => socket.address !== undefined)) {
    unitEntries.push(["Wants", text("network-online.target")], ["After", text("network-online.target")]);
  }
  unitEntries.push(
    ["AssertPathIsDirectory", text(deployment.directory), "deployment.directory"],
    ["AssertFileIsExecutable", text(deployment.workerdPath), "deployment.workerdPath"],
  );

  const serviceEntries: Entries = [
    ["Type", text("exec")],
    ["ExecStart", UnitValue.exec(parts.execStart)],
    ...parts.identity,
    ["WorkingDirectory", text(deployment.directory), "deployment.directory"],
    ["TimeoutStopSec", text("10s")],
    ...hardeningEntries(serviceHardening(config, deployment), deployment.hardening.set),
  ];

  // Sockets that workerd binds itself listen only while the service runs,
  // so it starts at boot instead of on the first connection.
  const sections: [string, Entries][] = [
    ["Unit", unitEntries],
    ["Service", serviceEntries],
  ];
  if (bound.length > 0) {
    sections.push(["Install", [["WantedBy", text("multi-user.target")]]]);
  }
  return { fileName: `${unitFileBase(deployment.unitName, instances)}.service`, unit: unit(...sections) };
}

/** Converts directives to entries, one per value, with `hardening.set` as the origin of the values the user wrote. */
function hardeningEntries(directives: readonly Directive[], set: readonly [string, string[]][]): Entries {
  const userKeys = new Set(set.map(([key]) => key));
  return directives.flatMap(({ key, values }) =>
    values.map((value): Entries[number] =>
      userKeys.has(key)
        ? [key, text(value), formatPath(["deployment", "hardening", "set", key])]
        : [key, text(value)],
    ),
  );
}
