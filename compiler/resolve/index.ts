/** Fills in every default of a checked config, giving the form that the lowering steps read. */
import type {
  ResolvedConfig,
  ResolvedDeployment,
  ResolvedForwarded,
  ResolvedHardening,
  ResolvedHttps,
  ResolvedSocket,
  ResolvedTrustedProxy,
  ResolvedUpstream,
} from "../config/resolved.js";
import type {
  DeploymentConfig,
  ForwardedConfig,
  HardeningConfig,
  RouteConfig,
  UpstreamConfig,
  WorkerdComposeConfig,
} from "../config/types.js";
import type { CertificateTexts } from "../load/certificates.js";
import { addressBits, cidrBits, parseCidr, parseHostPort, type HostPort } from "../util/address.js";
import { normaliseHostHeader, normaliseRouteHost } from "../util/hostname.js";
import { resolveRawLayer } from "./raw.js";

/** Path of a user worker's bundled module, relative to config.capnp. */
export function userWorkerModuleFile(name: string): string {
  return `workers/${name}.js`;
}

export const defaults = {
  quadletDirectory: "%h/workerd",
  nsenterDirectory: "/var/srv/workerd",
  systemdDirectory: "/etc/workerd",
  podmanVersion: "5.4",
  workerdPath: "/usr/local/bin/workerd",
  unitName: "workerd",
  containerPort: 80,
} as const;

/**
 * Resolves a config that passed checkSchema and checkSemantics, with the PEM
 * text of every trusted certificate entry. It throws on input those checks
 * reject, because reaching such input here is a bug.
 */
export function resolveConfig(config: WorkerdComposeConfig, certificates: CertificateTexts = new Map()): ResolvedConfig {
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
      upstream: socket.upstream,
    };
  });

  const outbound = config.outbound ?? { mode: "external" as const };
  return {
    compatibilityDate: config.compatibilityDate,
    sockets,
    upstreams: config.upstreams.map((upstream) => resolveUpstream(upstream, deployment, certificates)),
    routes: config.routes.map(resolveRoute),
    outbound:
      outbound.mode === "network"
        ? { mode: "network", allow: [...outbound.allow], deny: [...(outbound.deny ?? [])] }
        : { mode: "external" },
    unmatched: { status: config.unmatched?.status ?? 404 },
    forwarded: resolveForwarded(config.forwarded ?? {}),
    networks: (config.networks ?? []).map((network) => ({
      name: network.name,
      internal: network.internal ?? true,
      subnet: network.subnet,
    })),
    deployment,
    workers: (config.workers ?? []).map((worker) => ({
      name: worker.name,
      main: worker.main,
      compatibilityDate: worker.compatibilityDate ?? config.compatibilityDate,
      compatibilityFlags: [...(worker.compatibilityFlags ?? [])],
      bindings: [...(worker.bindings ?? [])],
      moduleFile: userWorkerModuleFile(worker.name),
    })),
    workerd: resolveRawLayer(config.workerd),
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
      podmanVersion: deployment.podmanVersion ?? defaults.podmanVersion,
    };
  }
  if (deployment.target === "systemd") {
    return {
      target: "systemd",
      user: deployment.user,
      group: deployment.group,
      directory: deployment.directory ?? defaults.systemdDirectory,
      workerdPath: deployment.workerdPath ?? defaults.workerdPath,
      unitName: deployment.unitName ?? defaults.unitName,
      instances: deployment.instances ?? 1,
      hardening: resolveHardening(deployment.hardening),
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
    podmanVersion: deployment.podmanVersion ?? defaults.podmanVersion,
    hardening: resolveHardening(deployment.hardening),
  };
}

function resolveHardening(hardening: HardeningConfig | undefined): ResolvedHardening {
  return {
    set: Object.entries(hardening?.set ?? {}).map(([key, value]) => [
      key,
      typeof value === "string" ? [value] : [...value],
    ]),
    remove: [...(hardening?.remove ?? [])],
  };
}

function resolveUpstream(
  upstream: UpstreamConfig,
  deployment: ResolvedDeployment,
  certificates: CertificateTexts,
): ResolvedUpstream {
  const container = upstream.container && {
    image: upstream.container.image,
    name: upstream.container.name ?? upstream.name,
    network: upstream.container.network,
    ip: upstream.container.ip,
    port: upstream.container.port ?? defaults.containerPort,
  };

  const address = upstream.passThrough ? undefined : upstreamAddress(upstream, deployment);
  let hostHeader: string | undefined;
  if (upstream.hostHeader !== undefined) {
    const normalised = normaliseHostHeader(upstream.hostHeader);
    if ("problem" in normalised) {
      throw new Error(`hostHeader "${upstream.hostHeader}" reached the resolver unchecked: ${normalised.problem}`);
    }
    hostHeader = normalised.host;
  }
  return {
    name: upstream.name,
    address,
    container,
    hostHeader,
    https: upstream.https && resolveHttps(upstream.https, address, certificates),
  };
}

/**
 * Returns where workerd connects to for an upstream with an address or a
 * container: the container's IP address for `systemd-nsenter` deployments,
 * which cannot use Podman's DNS, otherwise the container's name.
 */
function upstreamAddress(upstream: UpstreamConfig, deployment: { target: string }): HostPort {
  if (upstream.address !== undefined) {
    return expectValid(parseHostPort(upstream.address));
  }
  const container = upstream.container;
  if (container === undefined) {
    throw new Error(`upstream "${upstream.name}" reached the resolver without an address`);
  }
  const port = container.port ?? defaults.containerPort;
  if (deployment.target === "systemd-nsenter" && container.ip !== undefined) {
    return { host: container.ip, port, kind: "ipv4" };
  }
  return { host: container.name ?? upstream.name, port, kind: "name" };
}

function resolveHttps(
  https: NonNullable<UpstreamConfig["https"]>,
  address: HostPort | undefined,
  certificates: CertificateTexts,
): ResolvedHttps {
  let certificateHost: string | undefined;
  if (https.certificateHost !== undefined) {
    certificateHost = normaliseCertificateHost(https.certificateHost);
  } else if (address?.kind === "name") {
    certificateHost = address.host.toLowerCase();
  } else if (address !== undefined) {
    throw new Error(`https upstream at ${address.host} reached the resolver without a certificateHost`);
  }

  const trustedCertificates = (https.trustedCertificates ?? []).flatMap((entry) => {
    const texts = certificates.get(entry);
    if (texts === undefined) {
      throw new Error(`trusted certificate "${entry.slice(0, 40)}" reached the resolver unread`);
    }
    return texts;
  });
  return { certificateHost, trustedCertificates, trustBrowserCas: https.trustBrowserCas ?? true };
}

function normaliseCertificateHost(text: string): string {
  const result = normaliseRouteHost(text);
  if ("problem" in result || result.wildcard) {
    throw new Error(`certificateHost "${text}" reached the resolver unchecked`);
  }
  return result.host;
}

function resolveRoute(route: RouteConfig) {
  const result = normaliseRouteHost(route.host);
  if ("problem" in result) {
    throw new Error(`route host "${route.host}" reached the resolver unchecked: ${result.problem}`);
  }
  // A user worker is reached like an upstream: through the proxy's binding of its name.
  return { host: result.host, pathPrefix: route.pathPrefix, upstream: (route.upstream ?? route.worker)! };
}

function resolveForwarded(forwarded: ForwardedConfig): ResolvedForwarded {
  const trustedProxies: ResolvedTrustedProxy[] = [];
  const seen = new Set<string>();
  for (const cidr of forwarded.trustedProxies ?? []) {
    for (const bits of trustedProxyBits(cidr)) {
      if (!seen.has(bits)) {
        seen.add(bits);
        trustedProxies.push({ cidr, bits });
      }
    }
  }
  return {
    trustedProxies,
    xForwardedFor: forwarded.xForwardedFor ?? true,
    xForwardedHost: forwarded.xForwardedHost ?? true,
    xForwardedProto: forwarded.xForwardedProto ?? true,
    forwarded: forwarded.forwarded ?? false,
  };
}

/** Bits of the IPv4-mapped block `::ffff:0:0/96`. */
const ipv4MappedBits = addressBits("::ffff:0:0")!.slice(0, 96);

/**
 * Returns the bit strings a trusted range matches in the form the router
 * gives client addresses. An IPv4-mapped client arrives in IPv4 form, so an
 * IPv6 range that covers IPv4-mapped addresses also gets the matching IPv4 range.
 */
export function trustedProxyBits(text: string): string[] {
  const range = expectValid(parseCidr(text));
  const bits = cidrBits(range);
  if (range.family === 4) {
    return [`4:${bits}`];
  }
  if (range.prefix <= 96) {
    return ipv4MappedBits.startsWith(bits) ? [`6:${bits}`, "4:"] : [`6:${bits}`];
  }
  return bits.startsWith(ipv4MappedBits) ? [`6:${bits}`, `4:${bits.slice(96)}`] : [`6:${bits}`];
}

function expectValid<T>(value: T | string): T {
  if (typeof value === "string") {
    throw new Error(`unchecked value reached the resolver: ${value}`);
  }
  return value;
}
