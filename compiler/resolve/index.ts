/** Fills in every default of a checked config, giving the form that the lowering steps read. */
import type {
  ResolvedConfig,
  ResolvedDeployment,
  ResolvedSocket,
  ResolvedUpstream,
} from "../config/resolved.js";
import type { DeploymentConfig, UpstreamConfig, WorkerdComposeConfig } from "../config/types.js";
import { parseHostPort, type HostPort } from "../util/address.js";
import { normaliseRouteHost } from "../util/hostname.js";

export const defaults = {
  quadletDirectory: "%h/workerd",
  nsenterDirectory: "/var/srv/workerd",
  workerdPath: "/usr/local/bin/workerd",
  unitName: "workerd",
  containerPort: 80,
} as const;

/**
 * Resolves a config that passed checkSchema and checkSemantics. It throws on
 * input those checks reject, because reaching such input here is a bug.
 */
export function resolveConfig(config: WorkerdComposeConfig): ResolvedConfig {
  const deployment = resolveDeployment(config.deployment);

  let nextFd = 3;
  const sockets = config.sockets.map((socket): ResolvedSocket => {
    const activation = socket.activation ?? "systemd";
    return {
      name: socket.name,
      port: socket.port,
      address: socket.address,
      activation,
      fd: activation === "systemd" ? nextFd++ : undefined,
    };
  });

  const outbound = config.outbound ?? { mode: "external" as const };
  return {
    compatibilityDate: config.compatibilityDate,
    sockets,
    upstreams: config.upstreams.map((upstream) => resolveUpstream(upstream, deployment)),
    routes: config.routes.map((route) => ({ host: normaliseHost(route.host), upstream: route.upstream })),
    outbound:
      outbound.mode === "network"
        ? { mode: "network", allow: [...outbound.allow], deny: [...(outbound.deny ?? [])] }
        : { mode: "external" },
    unmatched: { status: config.unmatched?.status ?? 404 },
    networks: (config.networks ?? []).map((network) => ({
      name: network.name,
      internal: network.internal ?? true,
      subnet: network.subnet,
    })),
    deployment,
  };
}

function resolveDeployment(deployment: DeploymentConfig): ResolvedDeployment {
  if (deployment.target === "quadlet") {
    return {
      target: "quadlet",
      image: deployment.image,
      network: deployment.network,
      directory: deployment.directory ?? defaults.quadletDirectory,
      unitName: deployment.unitName ?? defaults.unitName,
    };
  }
  return {
    target: "systemd-nsenter",
    user: deployment.user,
    uid: deployment.uid,
    group: deployment.group ?? deployment.user,
    directory: deployment.directory ?? defaults.nsenterDirectory,
    workerdPath: deployment.workerdPath ?? defaults.workerdPath,
    unitName: deployment.unitName ?? defaults.unitName,
  };
}

function resolveUpstream(upstream: UpstreamConfig, deployment: ResolvedDeployment): ResolvedUpstream {
  const container = upstream.container && {
    image: upstream.container.image,
    name: upstream.container.name ?? upstream.name,
    network: upstream.container.network,
    ip: upstream.container.ip,
    port: upstream.container.port ?? defaults.containerPort,
  };

  let address: HostPort;
  if (upstream.address !== undefined) {
    address = expectValid(parseHostPort(upstream.address));
  } else if (container === undefined) {
    throw new Error(`upstream "${upstream.name}" reached the resolver without an address`);
  } else if (deployment.target === "systemd-nsenter" && container.ip !== undefined) {
    address = { host: container.ip, port: container.port, kind: "ipv4" };
  } else {
    address = { host: container.name, port: container.port, kind: "name" };
  }
  return { name: upstream.name, address, container };
}

function normaliseHost(host: string): string {
  const result = normaliseRouteHost(host);
  if ("problem" in result) {
    throw new Error(`route host "${host}" reached the resolver unchecked: ${result.problem}`);
  }
  return result.host;
}

function expectValid<T>(value: T | string): T {
  if (typeof value === "string") {
    throw new Error(`unchecked value reached the resolver: ${value}`);
  }
  return value;
}
