/**
 * Checks that a JSON Schema cannot express: references between parts of the
 * config, duplicates, address syntax and what a deployment target supports.
 * They run on a config that already matches the schema. Each check is one
 * function in `semanticChecks`; adding a check means writing the function and
 * listing it there.
 */
import type { WorkerdComposeConfig } from "../config/types.js";
import { formatPath, parsePath, quote, type Diagnostic } from "../diagnostics.js";
import { ipv4InCidr, isIPv4, isIPv6, parseCidr, parseHostPort } from "../util/address.js";
import { checkDateValue } from "./date.js";
import { checkDeployment } from "./deployment.js";
import { listenersOverlap } from "./listeners.js";
import { checkContainerNames, checkIdentifierCollisions, checkUnitNames } from "./names.js";
import { checkForwarded, checkOutbound, checkRoutes, checkUpstreamTransport } from "./proxy.js";
import { reportUnknownName, type Report } from "./report.js";
import { checkRawLayer, type GeneratedNames } from "./raw.js";
import { checkSocketUpstreams } from "./sockets.js";
import { checkAbsolutePath, checkCidr, checkImageReference } from "./text.js";
import { checkUserWorkers } from "./workers.js";

/** Service names that the compiler gives its own services in config.capnp. */
export const reservedServiceNames = ["proxy", "outbound"] as const;

/** Inputs of a check besides the config. */
export interface CheckContext {
  /** The date that compatibility dates are compared with. */
  today: Date;
}

export type SemanticCheck = (config: WorkerdComposeConfig, context: CheckContext, report: Report) => void;

/** Every semantic check, in the order their diagnostics are listed. */
export const semanticChecks: readonly SemanticCheck[] = [
  checkCompatibilityDate,
  checkSockets,
  (config, _context, report) => checkSocketUpstreams(config, report),
  checkNetworks,
  checkUpstreams,
  (config, _context, report) => checkUpstreamTransport(config, report),
  (config, _context, report) => checkRoutes(config, report),
  (config, _context, report) => checkOutbound(config, report),
  (config, _context, report) => checkForwarded(config, report),
  (config, _context, report) => checkDeployment(config, report),
  (config, _context, report) => checkUnitNames(config, report),
  (config, _context, report) => checkContainerNames(config, report),
  (config, _context, report) => checkIdentifierCollisions(config, report),
  (config, context, report) => checkUserWorkers(config, context.today, report),
  (config, context, report) => checkRawLayer(config, generatedNames(config), context.today, report),
  checkDiskPaths,
];

function checkCompatibilityDate(config: WorkerdComposeConfig, context: CheckContext, report: Report): void {
  checkDateValue(config.compatibilityDate, "compatibilityDate", context.today, report);
}

/**
 * Reports relative disk service paths. workerd resolves them against its
 * working directory at run time (an `embed` path, by contrast, against
 * config.capnp), which is neither the config's directory nor, in a
 * container, a directory of the host.
 */
function checkDiskPaths(config: WorkerdComposeConfig, _context: CheckContext, report: Report): void {
  (config.workerd?.services ?? []).forEach((service, index) => {
    if (service.disk?.path !== undefined) {
      const path = formatPath(["workerd", "services", index, "disk", "path"]);
      checkAbsolutePath(service.disk.path, path, "workerd's working directory", report);
    }
  });
}

/** Returns the problems that the schema could not find, in config order. */
export function checkSemantics(config: WorkerdComposeConfig, context: CheckContext): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  // A check that names no received value gets the config's value at the path.
  const report: Report = (diagnostic) =>
    diagnostics.push({
      severity: "error",
      ...diagnostic,
      received: "received" in diagnostic ? diagnostic.received : valueAt(config, parsePath(diagnostic.path)),
    });
  for (const check of semanticChecks) {
    check(config, context, report);
  }
  return diagnostics;
}

function checkSockets(config: WorkerdComposeConfig, _context: CheckContext, report: Report): void {
  const names = new Map<string, number>();
  config.sockets.forEach((socket, index) => {
    const path = (key: string) => formatPath(["sockets", index, key]);

    const earlier = names.get(socket.name);
    if (earlier !== undefined) {
      report({
        code: "duplicate-name",
        path: path("name"),
        message: `Socket name ${quote(socket.name)} is already used by sockets[${earlier}].`,
        received: socket.name,
        expected: "a socket name used once",
      });
    } else {
      names.set(socket.name, index);
    }

    if (socket.address !== undefined && !isIPv4(socket.address) && !isIPv6(socket.address)) {
      report({
        code: "invalid-address",
        path: path("address"),
        message: `${quote(socket.address)} is not an IP address; write an IPv4 or IPv6 address without brackets or port, or leave "address" out to listen on every address.`,
        received: socket.address,
        expected: "an IPv4 or IPv6 address without brackets or port",
        ...socketAddressHint(socket.address),
      });
      return;
    }

    // Sockets listen side by side only when their addresses do not overlap.
    const clash = config.sockets
      .slice(0, index)
      .findIndex(
        (other) =>
          other.port === socket.port &&
          (other.address === undefined || isIPv4(other.address) || isIPv6(other.address)) &&
          listenersOverlap(other.address, socket.address),
      );
    if (clash >= 0) {
      const other = config.sockets[clash]!;
      report({
        code: "port-conflict",
        path: path("port"),
        message: `Port ${socket.port} on ${describeListenAddress(socket.address)} is already taken by sockets[${clash}] on ${describeListenAddress(other.address)}.`,
        received: socket.port,
        expected: "a port, or an address, that no other socket listens on",
      });
    }
  });
}

function describeListenAddress(address: string | undefined): string {
  return address === undefined ? "every address" : quote(address);
}

/** Suggests the plain address when the user wrote brackets or a port. */
function socketAddressHint(address: string): { hint?: string } {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed && isIPv6(bracketed[1]!)) {
    return { hint: `Did you mean ${quote(bracketed[1])}? Socket addresses are written without brackets; the port goes in "port".` };
  }
  const withPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(address);
  if (withPort && isIPv4(withPort[1]!)) {
    return { hint: `Did you mean ${quote(withPort[1])}? The port goes in "port".` };
  }
  return {};
}

function checkNetworks(config: WorkerdComposeConfig, _context: CheckContext, report: Report): void {
  const names = new Map<string, number>();
  (config.networks ?? []).forEach((network, index) => {
    const earlier = names.get(network.name);
    if (earlier !== undefined) {
      report({
        code: "duplicate-name",
        path: formatPath(["networks", index, "name"]),
        message: `Network name ${quote(network.name)} is already used by networks[${earlier}].`,
        received: network.name,
        expected: "a network name used once",
      });
    } else {
      names.set(network.name, index);
    }

    if (network.subnet !== undefined) {
      checkCidr(network.subnet, formatPath(["networks", index, "subnet"]), "a CIDR range such as 10.89.0.0/24", report);
    }
  });
}

function checkUpstreams(config: WorkerdComposeConfig, _context: CheckContext, report: Report): void {
  const names = new Map<string, number>();
  const networkNames = (config.networks ?? []).map((network) => network.name);

  config.upstreams.forEach((upstream, index) => {
    const path = (...keys: string[]) => formatPath(["upstreams", index, ...keys]);

    const earlier = names.get(upstream.name);
    if (earlier !== undefined) {
      report({
        code: "duplicate-name",
        path: path("name"),
        message: `Upstream name ${quote(upstream.name)} is already used by upstreams[${earlier}].`,
        received: upstream.name,
        expected: "an upstream name used once",
      });
    } else {
      names.set(upstream.name, index);
    }

    if ((reservedServiceNames as readonly string[]).includes(upstream.name)) {
      report({
        code: "reserved-name",
        path: path("name"),
        message: `Upstream name ${quote(upstream.name)} is reserved for a service the compiler generates; choose another name.`,
        received: upstream.name,
        expected: `a name other than ${reservedServiceNames.map((name) => quote(name)).join(", ")}`,
      });
    }

    if (upstream.address === undefined && upstream.container === undefined && !upstream.passThrough) {
      report({
        code: "missing-address",
        path: path(),
        message: `Upstream ${quote(upstream.name)} has none of "address", "container" and "passThrough", so there is nothing to connect to.`,
        received: upstream,
        expected: 'an "address", a "container" or "passThrough": true',
      });
    }
    if (upstream.address !== undefined) {
      const parsed = parseHostPort(upstream.address);
      if (typeof parsed === "string") {
        report({
          code: "invalid-address",
          path: path("address"),
          message: `Invalid address ${quote(upstream.address)}: ${parsed}`,
          received: upstream.address,
          expected: "HOST:PORT, with an IPv6 address in brackets",
          ...upstreamAddressHint(upstream.address),
        });
      }
    }

    const container = upstream.container;
    if (container === undefined) {
      return;
    }
    checkImageReference(container.image, path("container", "image"), report);
    const network = config.networks?.find((candidate) => candidate.name === container.network);
    if (network === undefined) {
      reportUnknownName(report, path("container", "network"), "network", container.network, networkNames);
    }
    if (container.ip !== undefined) {
      checkContainerIp(container.ip, container.name ?? upstream.name, container.network, network, path("container", "ip"), report);
    }
  });
}

/** Suggests brackets for an IPv6 address given with a port, as in `fd00::10:80`. */
function upstreamAddressHint(address: string): { hint?: string } {
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon);
  if (colon > 0 && !address.startsWith("[") && isIPv6(host) && /^\d+$/.test(address.slice(colon + 1))) {
    return { hint: `Did you mean ${quote(`[${host}]${address.slice(colon)}`)}?` };
  }
  return {};
}

function checkContainerIp(
  ip: string,
  containerName: string,
  networkName: string,
  network: { name: string; subnet?: string } | undefined,
  path: string,
  report: Report,
): void {
  if (!isIPv4(ip)) {
    report({
      code: "invalid-address",
      path,
      message: `${quote(ip)} is not an IPv4 address.`,
      received: ip,
      expected: "an IPv4 address inside the network's subnet",
    });
  } else if (network !== undefined && network.subnet === undefined) {
    report({
      code: "missing-subnet",
      path,
      message: `Container ${quote(containerName)} has a fixed IP address, but network ${quote(networkName)} has no "subnet" to take it from.`,
      received: ip,
      expected: "a network with a subnet that contains the address",
      hint: `Set networks[].subnet of ${quote(networkName)} to a range that contains ${ip}.`,
    });
  } else if (network?.subnet !== undefined) {
    const subnet = parseCidr(network.subnet);
    if (typeof subnet !== "string" && !ipv4InCidr(ip, subnet)) {
      report({
        code: "address-outside-subnet",
        path,
        message: `IP address ${ip} is outside the subnet ${network.subnet} of network ${quote(network.name)}.`,
        received: ip,
        expected: `an address inside ${network.subnet}`,
      });
    }
  }
}

function valueAt(root: unknown, segments: readonly (string | number)[]): unknown {
  let value = root;
  for (const segment of segments) {
    value = (value as Record<string | number, unknown> | undefined)?.[segment];
  }
  return value;
}

/** Names of the services and sockets that the compiler generates from the proxy DSL. */
function generatedNames(config: WorkerdComposeConfig): GeneratedNames {
  const services = new Map<string, string>([["proxy", "the proxy worker"]]);
  if (config.outbound?.mode === "network") {
    services.set("outbound", "outbound");
  } else {
    config.upstreams.forEach((upstream, index) => services.set(upstream.name, `upstreams[${index}]`));
  }
  (config.workers ?? []).forEach((worker, index) => services.set(worker.name, `workers[${index}]`));
  const sockets = new Map(config.sockets.map((socket, index) => [socket.name, `sockets[${index}]`]));
  return { services, sockets };
}
