/**
 * Checks that a JSON Schema cannot express: references between parts of the
 * config, duplicates, address syntax and what a deployment target supports.
 * They run on a config that already matches the schema.
 */
import type { WorkerdComposeConfig } from "../config/types.js";
import { formatPath, type Diagnostic } from "../diagnostics.js";
import { ipv4InCidr, isIPv4, isIPv6, parseCidr, parseHostPort } from "../util/address.js";
import { checkDeployment } from "./deployment.js";
import { checkForwarded, checkOutbound, checkRoutes, checkUpstreamTransport } from "./proxy.js";
import { reportUnknownName, type Report } from "./report.js";
import { checkDateValue } from "./date.js";
import { checkRawLayer, type GeneratedNames } from "./raw.js";
import { checkSocketUpstreams } from "./sockets.js";
import { checkUserWorkers } from "./workers.js";

/** Service names that the compiler gives its own services in config.capnp. */
export const reservedServiceNames = ["proxy", "outbound"] as const;

/** Returns the problems that the schema could not find, in config order. */
export function checkSemantics(config: WorkerdComposeConfig, today: Date): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const report: Report = (diagnostic) => diagnostics.push({ severity: "error", ...diagnostic });

  checkCompatibilityDate(config, today, report);
  checkSockets(config, report);
  checkSocketUpstreams(config, report);
  checkNetworks(config, report);
  checkUpstreams(config, report);
  checkUpstreamTransport(config, report);
  checkRoutes(config, report);
  checkOutbound(config, report);
  checkForwarded(config, report);
  checkDeployment(config, report);
  checkUserWorkers(config, today, report);
  checkRawLayer(config, generatedNames(config), today, report);
  return diagnostics;
}

function checkCompatibilityDate(config: WorkerdComposeConfig, today: Date, report: Report): void {
  checkDateValue(config.compatibilityDate, "compatibilityDate", today, report);
}

function checkSockets(config: WorkerdComposeConfig, report: Report): void {
  const names = new Map<string, number>();
  const listeners = new Map<string, number>();
  config.sockets.forEach((socket, index) => {
    const path = (key?: string) => formatPath(key ? ["sockets", index, key] : ["sockets", index]);

    const earlier = names.get(socket.name);
    if (earlier !== undefined) {
      report({
        code: "duplicate-name",
        path: path("name"),
        message: `Socket name "${socket.name}" is already used by sockets[${earlier}].`,
        received: socket.name,
      });
    } else {
      names.set(socket.name, index);
    }

    if (socket.address !== undefined && !isIPv4(socket.address) && !isIPv6(socket.address)) {
      report({
        code: "invalid-address",
        path: path("address"),
        message: `"${socket.address}" is not an IP address; write an IPv4 or IPv6 address without brackets or port, or leave "address" out to listen on every address.`,
        received: socket.address,
      });
    }

    // A dual-stack listener on a port conflicts with every other listener on it.
    const listener = `${socket.address ?? "*"} ${socket.port}`;
    const wildcard = `* ${socket.port}`;
    const clash = listeners.get(listener) ?? listeners.get(wildcard);
    const clashesWithAny =
      socket.address === undefined
        ? [...listeners.entries()].find(([key]) => key.endsWith(` ${socket.port}`))?.[1]
        : undefined;
    const other = clash ?? clashesWithAny;
    if (other !== undefined) {
      report({
        code: "port-conflict",
        path: path("port"),
        message: `Port ${socket.port} is already taken by sockets[${other}] on the same address.`,
        received: socket.port,
      });
    }
    listeners.set(listener, index);
  });
}

function checkNetworks(config: WorkerdComposeConfig, report: Report): void {
  const names = new Map<string, number>();
  (config.networks ?? []).forEach((network, index) => {
    const earlier = names.get(network.name);
    if (earlier !== undefined) {
      report({
        code: "duplicate-name",
        path: formatPath(["networks", index, "name"]),
        message: `Network name "${network.name}" is already used by networks[${earlier}].`,
        received: network.name,
      });
    }
    names.set(network.name, index);

    if (network.subnet !== undefined) {
      const cidr = parseCidr(network.subnet);
      if (typeof cidr === "string") {
        report({
          code: "invalid-cidr",
          path: formatPath(["networks", index, "subnet"]),
          message: `Invalid subnet "${network.subnet}": ${cidr}`,
          received: network.subnet,
        });
      }
    }
  });
}

function checkUpstreams(config: WorkerdComposeConfig, report: Report): void {
  const names = new Map<string, number>();
  const containerNames = new Map<string, number>();
  const networkNames = (config.networks ?? []).map((network) => network.name);

  config.upstreams.forEach((upstream, index) => {
    const path = (...keys: string[]) => formatPath(["upstreams", index, ...keys]);

    const earlier = names.get(upstream.name);
    if (earlier !== undefined) {
      report({
        code: "duplicate-name",
        path: path("name"),
        message: `Upstream name "${upstream.name}" is already used by upstreams[${earlier}].`,
        received: upstream.name,
      });
    }
    names.set(upstream.name, index);

    if ((reservedServiceNames as readonly string[]).includes(upstream.name)) {
      report({
        code: "reserved-name",
        path: path("name"),
        message: `Upstream name "${upstream.name}" is reserved for a service the compiler generates; choose another name.`,
        received: upstream.name,
        expected: `a name other than ${reservedServiceNames.map((name) => `"${name}"`).join(", ")}`,
      });
    }

    if (upstream.address === undefined && upstream.container === undefined && !upstream.passThrough) {
      report({
        code: "missing-address",
        path: path(),
        message: `Upstream "${upstream.name}" has none of "address", "container" and "passThrough", so there is nothing to connect to.`,
      });
    }
    if (upstream.address !== undefined) {
      const parsed = parseHostPort(upstream.address);
      if (typeof parsed === "string") {
        report({
          code: "invalid-address",
          path: path("address"),
          message: `Invalid address "${upstream.address}": ${parsed}`,
          received: upstream.address,
          expected: "HOST:PORT",
        });
      }
    }

    const container = upstream.container;
    if (container === undefined) {
      return;
    }
    const containerName = container.name ?? upstream.name;
    const earlierContainer = containerNames.get(containerName);
    if (earlierContainer !== undefined) {
      report({
        code: "duplicate-name",
        path: path("container", "name"),
        message: `Container name "${containerName}" is already used by upstreams[${earlierContainer}].`,
        received: containerName,
      });
    }
    containerNames.set(containerName, index);

    const network = config.networks?.find((candidate) => candidate.name === container.network);
    if (network === undefined) {
      reportUnknownName(report, path("container", "network"), "network", container.network, networkNames);
    }
    if (container.ip !== undefined) {
      if (!isIPv4(container.ip)) {
        report({
          code: "invalid-address",
          path: path("container", "ip"),
          message: `"${container.ip}" is not an IPv4 address.`,
          received: container.ip,
        });
      } else if (network?.subnet === undefined) {
        report({
          code: "missing-subnet",
          path: path("container", "ip"),
          message: `Container "${containerName}" has a fixed IP address, but network "${container.network}" has no "subnet" to take it from.`,
          hint: `Set networks[].subnet of "${container.network}" to a range that contains ${container.ip}.`,
        });
      } else {
        const subnet = parseCidr(network.subnet);
        if (typeof subnet !== "string" && !ipv4InCidr(container.ip, subnet)) {
          report({
            code: "address-outside-subnet",
            path: path("container", "ip"),
            message: `IP address ${container.ip} is outside the subnet ${network.subnet} of network "${network.name}".`,
            received: container.ip,
          });
        }
      }
    }
  });
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
