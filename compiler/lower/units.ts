/**
 * Shared pieces of the unit file lowering: the builder that the Quadlet and
 * service lowerings use, and the socket unit with its matching `--socket-fd`
 * arguments.
 */
import type { ResolvedConfig, ResolvedSocket } from "../config/resolved.js";
import { serviceDirectives } from "../model/service-directives.js";
import { UnitValue, type UnitEntry, type UnitFile, type UnitSection } from "../model/unit.js";
import { formatHostPort } from "../util/address.js";

/** Keys that may repeat in a section: dependencies, listeners, mounts and the sandboxing lists. */
const listKeys: ReadonlySet<string> = new Set([
  "ListenStream",
  "Wants",
  "After",
  "Requires",
  "Volume",
  "Environment",
  ...[...serviceDirectives].filter(([, spec]) => spec.list).map(([key]) => key),
]);

/** A unit file model and the file name it is installed under. */
export interface NamedUnit {
  fileName: string;
  unit: UnitFile;
}

/** Entries of a section: key, encoded value and, for values the user wrote, the config path. */
export type Entries = [key: string, value: UnitValue, origin?: string][];

/** Builds a unit file model from sections given as `[name, entries]`. */
export function unit(...sections: [string, Entries][]): UnitFile {
  return {
    listKeys,
    sections: sections.map(
      ([name, entries]): UnitSection => ({
        name,
        entries: entries.map(([key, value, origin]): UnitEntry => (origin ? { key, value, origin } : { key, value })),
      }),
    ),
  };
}

export const text = UnitValue.literal;

/** Returns the sockets that systemd opens, in file-descriptor order (3, 4, …). */
export function systemdSockets(config: ResolvedConfig): ResolvedSocket[] {
  return config.sockets.filter((socket) => socket.fd !== undefined);
}

/**
 * Builds the socket unit: one `ListenStream=` per systemd-activated socket, in
 * file-descriptor order, because systemd passes the sockets of one unit as
 * fd 3, 4, … in the order of its `Listen*=` lines. Sockets spread over several
 * units would arrive in no guaranteed order.
 */
export function lowerSocketUnit(config: ResolvedConfig, unitName: string, instances = 1): NamedUnit {
  const activated = systemdSockets(config);
  const entries: Entries = activated.map((socket) => ["ListenStream", text(listenAddress(socket))]);
  // Each instance of a template socket unit opens its own sockets on the
  // same ports; SO_REUSEPORT lets them coexist and makes the kernel spread
  // new connections over them.
  if (instances > 1) {
    entries.push(["ReusePort", text("yes")]);
  }
  // A bare port is dual-stack only while the bindv6only sysctl is 0;
  // BindIPv6Only=both makes it dual-stack on every host.
  if (activated.some((socket) => socket.address === undefined)) {
    entries.push(["BindIPv6Only", text("both")]);
  }
  return {
    fileName: `${unitFileBase(unitName, instances)}.socket`,
    unit: unit(
      ["Unit", [["Description", text("Listening sockets of the workerd reverse proxy")]]],
      ["Socket", entries],
      ["Install", [["WantedBy", text("sockets.target")]]],
    ),
  };
}

/** Returns the base of a unit's file name: `NAME`, or `NAME@` for the templates of several instances. */
export function unitFileBase(unitName: string, instances: number): string {
  return instances > 1 ? `${unitName}@` : unitName;
}

/** `ListenStream=` value: a bare port listens on every address, IPv4 and IPv6. */
function listenAddress(socket: ResolvedSocket): string {
  return socket.address === undefined ? String(socket.port) : formatHostPort(socket.address, socket.port);
}

/** `--socket-fd NAME=FD` arguments, in the order of the socket unit's `ListenStream=` lines. */
export function socketFdArguments(config: ResolvedConfig): string[] {
  return systemdSockets(config).flatMap((socket) => ["--socket-fd", `${socket.name}=${socket.fd}`]);
}
