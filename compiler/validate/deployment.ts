/**
 * Checks of what a deployment target supports: socket activation, paths,
 * users, the Podman release, and names that the units and config.capnp must
 * agree on. They run on a config that already matches the schema.
 */
import type { WorkerdComposeConfig } from "../config/types.js";
import { formatPath, quote } from "../diagnostics.js";
import { parseHostPort, type HostPort } from "../util/address.js";
import { reportUnknownName, type Report } from "./report.js";
import { checkImageReference, checkRuntimePath } from "./text.js";

/** The first Podman release with Quadlet. */
export const firstQuadletRelease = "4.4";

/** Ports below this need a privilege that the hardened service does not have. */
const firstUnprivilegedPort = 1024;

export function checkDeployment(config: WorkerdComposeConfig, report: Report): void {
  const deployment = config.deployment;
  checkActivation(config, report);
  checkContainerAddresses(config, report);

  if (deployment.target === "quadlet") {
    const networkNames = (config.networks ?? []).map((network) => network.name);
    if (!networkNames.includes(deployment.network)) {
      reportUnknownName(report, "deployment.network", "network", deployment.network, networkNames);
    }
    checkImageReference(deployment.image, "deployment.image", report);
    if (deployment.directory !== undefined) {
      checkRuntimePath(deployment.directory, "deployment.directory", { allowHome: true }, report);
    }
    checkPodmanVersion(deployment.podmanVersion, report);
    checkSharedNetwork(config, deployment.network, report);
    return;
  }

  if (deployment.directory !== undefined) {
    checkRuntimePath(deployment.directory, "deployment.directory", { allowHome: false }, report);
  }
  if (deployment.workerdPath !== undefined) {
    checkRuntimePath(deployment.workerdPath, "deployment.workerdPath", { allowHome: false }, report);
  }
  if (deployment.target === "systemd") {
    checkHostDeployment(config, report);
    return;
  }

  checkPodmanVersion(deployment.podmanVersion, report);
  // The host workerd cannot use Podman's DNS, so every upstream needs an IP address.
  config.upstreams.forEach((upstream, index) => {
    const address = upstream.address === undefined ? undefined : parseHostPort(upstream.address);
    if (typeof address === "string" || upstream.passThrough) {
      return; // an invalid address is already reported; a pass-through has none
    }
    const hasIp = address === undefined ? upstream.container?.ip !== undefined : address.kind !== "name";
    if (!hasIp) {
      report({
        code: "address-needs-ip",
        expected: "an IP address",
        path: formatPath(["upstreams", index, upstream.address === undefined ? "container" : "address"]),
        message: `Upstream ${quote(upstream.name)} must be reached by IP address: the "systemd-nsenter" target runs workerd outside Podman, where container names do not resolve.`,
        received: upstream.address ?? upstream.container?.name ?? upstream.name,
        hint: "Set container.ip (and the network's subnet), or an address with an IP.",
      });
    }
  });
}

/**
 * Only the `systemd` target lets workerd bind a socket itself: the other two
 * run workerd inside rootless Podman's network namespace, where such a socket
 * is not reachable from the host.
 */
function checkActivation(config: WorkerdComposeConfig, report: Report): void {
  const target = config.deployment.target;
  config.sockets.forEach((socket, index) => {
    if (socket.activation !== "workerd") {
      return;
    }
    if (target !== "systemd") {
      report({
        code: "unsupported-activation",
        path: formatPath(["sockets", index, "activation"]),
        message: `Socket "${socket.name}" must be opened by systemd for the "${target}" target: workerd runs inside rootless Podman's network namespace, where a socket it binds is not reachable from the host.`,
        received: socket.activation,
        expected: '"systemd"',
      });
    } else if (socket.port < firstUnprivilegedPort) {
      report({
        code: "privileged-port",
        expected: 'a port from 1024, or "activation": "systemd"',
        path: formatPath(["sockets", index, "port"]),
        message: `Socket "${socket.name}" on port ${socket.port} cannot be bound by workerd: the service has no capabilities, and ports below ${firstUnprivilegedPort} need CAP_NET_BIND_SERVICE.`,
        received: socket.port,
        hint: 'Let systemd open it (leave out "activation" or set it to "systemd"), or use a port from 1024.',
      });
    }
  });
}

/** Checks of the `systemd` target: who runs workerd, and upstreams it can reach from the host. */
function checkHostDeployment(config: WorkerdComposeConfig, report: Report): void {
  const deployment = config.deployment;
  if (deployment.target !== "systemd") {
    return;
  }
  if (deployment.user === "root") {
    report({
      code: "root-user",
      expected: 'an unprivileged user, or no "user"',
      path: "deployment.user",
      message: 'workerd must not run as "root": it needs no privilege, because systemd opens its sockets.',
      received: deployment.user,
      hint: 'Leave out "user" to let systemd allocate an unprivileged user, or name a system user.',
    });
  }
  if ((deployment.instances ?? 1) > 1) {
    // Only a socket unit with ReusePort=yes lets several processes listen on
    // one port; workerd does not set SO_REUSEPORT on sockets it binds.
    config.sockets.forEach((socket, index) => {
      if (socket.activation === "workerd") {
        report({
          code: "instances-need-socket-activation",
          path: formatPath(["sockets", index, "activation"]),
          message: `Socket "${socket.name}" is opened by workerd, but ${deployment.instances} instances can share a port only through socket units with ReusePort=yes.`,
          received: socket.activation,
          expected: '"systemd"',
          hint: 'Remove "activation", or set "instances" to 1.',
        });
      }
    });
  }
  if (deployment.group !== undefined && deployment.user === undefined) {
    report({
      code: "group-without-user",
      expected: '"group" only together with "user"',
      path: "deployment.group",
      message: `"group" needs "user": without a user, systemd allocates a user and a group of the same name for each run (DynamicUser=yes).`,
      received: deployment.group,
    });
  }

  config.upstreams.forEach((upstream, index) => {
    if (upstream.container !== undefined) {
      report({
        code: "unsupported-container",
        expected: 'an upstream with an "address"',
        path: formatPath(["upstreams", index, "container"]),
        message: `Upstream "${upstream.name}" has a container, but the "systemd" target emits no Podman units: workerd on the host reaches upstreams directly.`,
        hint: 'Give the upstream an "address", or use the "quadlet" or "systemd-nsenter" target.',
      });
    }
  });
  if ((config.networks ?? []).length > 0) {
    report({
      severity: "warning",
      code: "unused-networks",
      expected: 'no "networks" for the "systemd" target',
      path: "networks",
      message: 'The "systemd" target emits no Podman units, so "networks" is not used.',
    });
  }
}

function checkPodmanVersion(version: string | undefined, report: Report): void {
  if (version !== undefined && compareVersions(version, firstQuadletRelease) < 0) {
    report({
      code: "unsupported-podman-version",
      path: "deployment.podmanVersion",
      message: `Podman ${version} has no Quadlet: it appeared in Podman ${firstQuadletRelease}.`,
      received: version,
      expected: `${firstQuadletRelease} or later`,
    });
  }
}

/**
 * In the `quadlet` target workerd finds an upstream container by its name
 * through Podman's DNS, which answers only on a network that both containers join.
 */
function checkSharedNetwork(config: WorkerdComposeConfig, workerdNetwork: string, report: Report): void {
  // A network that is not declared is reported as unknown, not again here.
  const declared = new Set((config.networks ?? []).map((network) => network.name));
  config.upstreams.forEach((upstream, index) => {
    const container = upstream.container;
    if (container === undefined || container.network === workerdNetwork) {
      return;
    }
    if (!declared.has(container.network) || !declared.has(workerdNetwork)) {
      return;
    }
    report({
      code: "network-mismatch",
      path: formatPath(["upstreams", index, "container", "network"]),
      message: `Container "${container.name ?? upstream.name}" joins network "${container.network}", but workerd joins "${workerdNetwork}": Podman's DNS resolves a container name only on a network that both join.`,
      received: container.network,
      expected: `"${workerdNetwork}"`,
    });
  });
}

/**
 * An upstream with both `address` and `container` must address that
 * container: its name (or fixed IP address) and its port.
 */
function checkContainerAddresses(config: WorkerdComposeConfig, report: Report): void {
  config.upstreams.forEach((upstream, index) => {
    const container = upstream.container;
    if (container === undefined || upstream.address === undefined) {
      return;
    }
    const address = parseHostPort(upstream.address);
    if (typeof address === "string") {
      return; // already reported as an invalid address
    }
    const expected = containerAddresses(upstream.name, container);
    if (!expected.some((candidate) => sameHostPort(candidate, address))) {
      report({
        code: "address-mismatch",
        path: formatPath(["upstreams", index, "address"]),
        message: `Address ${quote(upstream.address)} of upstream ${quote(upstream.name)} does not point at its container, which Podman names "${container.name ?? upstream.name}" and which serves port ${container.port ?? 80}.`,
        received: upstream.address,
        expected: expected.map((candidate) => `"${candidate.host}:${candidate.port}"`).join(" or "),
        hint: 'Leave out "address": it is derived from the container.',
      });
    }
  });
}

function containerAddresses(
  upstreamName: string,
  container: NonNullable<WorkerdComposeConfig["upstreams"][number]["container"]>,
): Omit<HostPort, "kind">[] {
  const port = container.port ?? 80;
  const addresses = [{ host: container.name ?? upstreamName, port }];
  if (container.ip !== undefined) {
    addresses.push({ host: container.ip, port });
  }
  return addresses;
}

function sameHostPort(a: Omit<HostPort, "kind">, b: HostPort): boolean {
  return a.port === b.port && a.host.toLowerCase() === b.host.toLowerCase();
}

/** Compares two `MAJOR.MINOR[.PATCH]` versions; a missing part counts as 0. */
export function compareVersions(a: string, b: string): number {
  const parse = (version: string) => version.split(".").map(Number);
  const [left, right] = [parse(a), parse(b)];
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) {
      return difference;
    }
  }
  return 0;
}
