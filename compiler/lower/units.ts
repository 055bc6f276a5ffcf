/** Lowers the deployment part of a resolved config to unit file models. */
import type {
  ResolvedConfig,
  ResolvedContainer,
  ResolvedNetwork,
  ResolvedQuadletDeployment,
  ResolvedSocket,
  ResolvedSystemdNsenterDeployment,
} from "../config/resolved.js";
import { UnitValue, type UnitEntry, type UnitFile, type UnitSection } from "../model/unit.js";
import { formatHostPort } from "../util/address.js";

const listKeys = new Set([
  "ListenStream",
  "Wants",
  "After",
  "Requires",
  "Volume",
  "SystemCallFilter",
  "IPAddressAllow",
  "Environment",
]);

/** A unit file model and the file name it is installed under. */
export interface NamedUnit {
  fileName: string;
  unit: UnitFile;
}

type Entries = [string, UnitValue][];

function unit(...sections: [string, Entries][]): UnitFile {
  return {
    listKeys,
    sections: sections.map(
      ([name, entries]): UnitSection => ({
        name,
        entries: entries.map(([key, value]): UnitEntry => ({ key, value })),
      }),
    ),
  };
}

const text = UnitValue.literal;

/** Builds the socket unit: one `ListenStream=` per systemd-activated socket, in file-descriptor order. */
export function lowerSocketUnit(config: ResolvedConfig, unitName: string): NamedUnit {
  const activated = config.sockets.filter((socket) => socket.fd !== undefined);
  return {
    fileName: `${unitName}.socket`,
    unit: unit(
      ["Unit", [["Description", text("Listening sockets of the workerd reverse proxy")]]],
      ["Socket", activated.map((socket): [string, UnitValue] => ["ListenStream", text(listenAddress(socket))])],
      ["Install", [["WantedBy", text("sockets.target")]]],
    ),
  };
}

/** `ListenStream=` value: a bare port listens on every address, IPv4 and IPv6. */
function listenAddress(socket: ResolvedSocket): string {
  return socket.address === undefined ? String(socket.port) : formatHostPort(socket.address, socket.port);
}

/** `--socket-fd NAME=FD` arguments, in the order of the socket unit's `ListenStream=` lines. */
export function socketFdArguments(config: ResolvedConfig): string[] {
  return config.sockets
    .filter((socket) => socket.fd !== undefined)
    .flatMap((socket) => ["--socket-fd", `${socket.name}=${socket.fd}`]);
}

/** Mount point of the config directory inside the workerd container. */
export const containerConfigDirectory = "/etc/workerd";

export function lowerQuadletWorkerd(config: ResolvedConfig, deployment: ResolvedQuadletDeployment): NamedUnit {
  const upstreamServices = config.upstreams
    .filter((upstream) => upstream.container !== undefined)
    .map((upstream) => text(`${upstream.name}.service`));
  const socketUnit = text(`${deployment.unitName}.socket`);

  return {
    fileName: `${deployment.unitName}.container`,
    unit: unit(
      [
        "Unit",
        [
          ["Description", text("workerd reverse proxy")],
          ["AssertPathIsDirectory", UnitValue.pathWithHome(deployment.directory)],
          ["Requires", socketUnit],
          ["After", socketUnit],
          ...upstreamServices.flatMap((service): Entries => [
            ["Wants", service],
            ["After", service],
          ]),
        ],
      ],
      [
        "Container",
        [
          ["Image", text(deployment.image)],
          ["Exec", UnitValue.command(["serve", ...socketFdArguments(config), `${containerConfigDirectory}/config.capnp`])],
          ["Network", text(`${deployment.network}.network`)],
          [
            "Volume",
            UnitValue.join([UnitValue.pathWithHome(`${deployment.directory}:${containerConfigDirectory}:ro,Z`)]),
          ],
          ["ReadOnly", text("true")],
          ["NoNewPrivileges", text("true")],
          ["DropCapability", text("all")],
        ],
      ],
    ),
  };
}

/**
 * Builds the `.container` file of an upstream's container, named after the upstream:
 * Quadlet turns `NAME.container` into `NAME.service`.
 */
export function lowerUpstreamContainer(container: ResolvedContainer, upstreamName: string): NamedUnit {
  return {
    fileName: `${upstreamName}.container`,
    unit: unit(
      ["Unit", [["Description", text(`Upstream ${upstreamName} of the workerd reverse proxy`)]]],
      [
        "Container",
        [
          ["Image", text(container.image)],
          ["ContainerName", text(container.name)],
          ["Network", text(`${container.network}.network`)],
          ...(container.ip === undefined ? [] : ([["IP", text(container.ip)]] as Entries)),
        ],
      ],
      ["Install", [["WantedBy", text("default.target")]]],
    ),
  };
}

/**
 * Builds a `.network` file. `NetworkName=` pins Podman's name of the network to the
 * file's base name; without it Quadlet would call it `systemd-NAME`.
 */
export function lowerNetwork(network: ResolvedNetwork): NamedUnit {
  const entries: Entries = [["NetworkName", text(network.name)]];
  if (network.internal) {
    entries.push(["Internal", text("true")]);
  }
  if (network.subnet !== undefined) {
    entries.push(["Subnet", text(network.subnet)]);
  }
  return {
    fileName: `${network.name}.network`,
    unit: unit(["Unit", [["Description", text(`Podman network ${network.name}`)]]], ["Network", entries]),
  };
}

/** File name of the start script that enters rootless Podman's namespaces. */
export const nsenterScriptName = "workerd-nsenter.sh";

/**
 * Builds the system service of the `systemd-nsenter` target, hardened with the set
 * of directives that still lets nsenter enter the Podman user's namespaces.
 */
export function lowerNsenterService(
  config: ResolvedConfig,
  deployment: ResolvedSystemdNsenterDeployment,
): NamedUnit {
  const socketUnit = text(`${deployment.unitName}.socket`);
  const subnets = [
    ...new Set(config.networks.map((network) => network.subnet).filter((subnet) => subnet !== undefined)),
  ];

  return {
    fileName: `${deployment.unitName}.service`,
    unit: unit(
      [
        "Unit",
        [
          ["Description", text(`workerd reverse proxy in the Podman network of ${deployment.user}`)],
          ["Requires", socketUnit],
          ["After", socketUnit],
          ["AssertPathIsDirectory", text(deployment.directory)],
          ["AssertFileIsExecutable", text(deployment.workerdPath)],
        ],
      ],
      [
        "Service",
        [
          ["Type", text("exec")],
          ["ExecStart", UnitValue.command([`${deployment.directory}/${nsenterScriptName}`])],
          ["User", text(deployment.user)],
          ["Group", text(deployment.group)],
          ["WorkingDirectory", text(deployment.directory)],
          ["TimeoutStopSec", text("10s")],
          ...nsenterHardening(subnets),
        ],
      ],
    ),
  };
}

/**
 * Sandboxing that nsenter survives. It differs from a plain host service in
 * four places: ProtectHome=read-only, because Podman's pid files live under
 * /run/user/UID; RestrictNamespaces allows entering user and network
 * namespaces; no PrivateUsers=, which would hide the Podman user's
 * namespaces; and PrivateNetwork=yes, which is harmless because the
 * listening socket is inherited and new connections start in the entered
 * namespace.
 */
function nsenterHardening(subnets: string[]): Entries {
  const yes = text("yes");
  return [
    ["NoNewPrivileges", yes],
    ["CapabilityBoundingSet", text("")],
    ["AmbientCapabilities", text("")],
    ["ProtectSystem", text("strict")],
    ["ProtectHome", text("read-only")],
    ["PrivateTmp", yes],
    ["PrivateDevices", yes],
    ["PrivateMounts", yes],
    ["PrivateNetwork", yes],
    ["ProtectKernelTunables", yes],
    ["ProtectKernelModules", yes],
    ["ProtectKernelLogs", yes],
    ["ProtectClock", yes],
    ["ProtectHostname", yes],
    ["ProtectControlGroups", yes],
    ["ProtectProc", text("invisible")],
    ["ProcSubset", text("pid")],
    ["RestrictNamespaces", text("user net")],
    ["RestrictAddressFamilies", text("AF_UNIX AF_INET AF_INET6")],
    ["LockPersonality", yes],
    ["RestrictRealtime", yes],
    ["RestrictSUIDSGID", yes],
    ["RemoveIPC", yes],
    ["SystemCallArchitectures", text("native")],
    ["SystemCallFilter", text("@system-service")],
    ["SystemCallFilter", text("~@privileged @resources")],
    ["SystemCallErrorNumber", text("EPERM")],
    ["UMask", text("0077")],
    ["DevicePolicy", text("closed")],
    ["KeyringMode", text("private")],
    ["IPAddressDeny", text("any")],
    ...subnets.map((subnet): [string, UnitValue] => ["IPAddressAllow", text(subnet)]),
  ];
}
