/** Lowers a resolved config to the model of workerd's config.capnp. */
import type { ResolvedConfig, ResolvedSocket, ResolvedUpstream } from "../config/resolved.js";
import { formatHostPort } from "../util/address.js";
import {
  Embed,
  type Config,
  type ExternalServer,
  type Service,
  type Socket,
  type TlsOptions,
  type Worker,
} from "../model/workerd.js";

/** Names of the services the compiler adds next to one `external` service per upstream. */
export const proxyServiceName = "proxy";
export const outboundServiceName = "outbound";

/** File names of the worker modules, relative to config.capnp. */
export const moduleFiles = { main: "fetch.js", library: "library.js" } as const;

export function lowerToWorkerdConfig(config: ResolvedConfig): Config {
  const worker: Worker = {
    compatibilityDate: config.compatibilityDate,
    modules: [
      { name: "worker", esModule: new Embed(moduleFiles.main) },
      { name: "library", esModule: new Embed(moduleFiles.library) },
    ],
  };
  const services: Service[] = [{ name: proxyServiceName, worker }];

  if (config.outbound.mode === "external") {
    // One binding per upstream; the router calls env[upstream name].fetch().
    worker.bindings = config.upstreams.map((upstream) => ({ name: upstream.name, service: upstream.name }));
    for (const upstream of config.upstreams) {
      services.push({ name: upstream.name, external: lowerExternalServer(upstream) });
    }
  } else {
    worker.globalOutbound = outboundServiceName;
    const tlsOptions = lowerNetworkTlsOptions(config.upstreams);
    services.push({
      name: outboundServiceName,
      network: { allow: config.outbound.allow, deny: config.outbound.deny, ...(tlsOptions && { tlsOptions }) },
    });
  }

  lowerUserWorkers(config, worker, services);
  return appendRawLayer({ services, sockets: config.sockets.map(lowerSocket) }, config);
}

/**
 * Adds a service per user worker, whose one module is the bundle, and a
 * binding of the same name to the proxy, through which the router calls it.
 */
function lowerUserWorkers(config: ResolvedConfig, proxy: Worker, services: Service[]): void {
  if (config.workers.length === 0) {
    return;
  }
  proxy.bindings = [
    ...(proxy.bindings ?? []),
    ...config.workers.map((user) => ({ name: user.name, service: user.name })),
  ];
  for (const user of config.workers) {
    services.push({
      name: user.name,
      worker: {
        compatibilityDate: user.compatibilityDate,
        ...(user.compatibilityFlags.length > 0 && { compatibilityFlags: user.compatibilityFlags }),
        modules: [{ name: `${user.name}.js`, esModule: new Embed(user.moduleFile) }],
        ...(user.bindings.length > 0 && { bindings: user.bindings }),
      },
    });
  }
}

/** Flags of `workerd serve` that the config needs: `--experimental` when it allows experimental features. */
export function workerdServeFlags(config: ResolvedConfig): string[] {
  return config.workerd.experimental ? ["--experimental"] : [];
}

/** Adds the raw layer's services, sockets and top-level settings after the generated ones. */
function appendRawLayer(generated: Config, config: ResolvedConfig): Config {
  const { services, sockets, experimental: _experimental, embeds: _embeds, ...settings } = config.workerd;
  return {
    services: [...generated.services!, ...services],
    sockets: [...generated.sockets!, ...sockets],
    ...settings,
  };
}

function lowerExternalServer(upstream: ResolvedUpstream): ExternalServer {
  if (upstream.address === undefined) {
    throw new Error(`pass-through upstream "${upstream.name}" reached the external outbound`);
  }
  const address = formatHostPort(upstream.address.host, upstream.address.port);
  if (upstream.https === undefined) {
    return { address, http: {} };
  }
  return {
    address,
    https: {
      tlsOptions: lowerTlsOptions([upstream]),
      // Always set: without it workerd checks the certificate against the
      // address and, for an IP address, sends no SNI.
      certificateHost: upstream.https.certificateHost,
    },
  };
}

/**
 * Lowers the TLS options of the network service, which needs them to carry
 * https at all: without them workerd fails with "this client has no TLS
 * configuration". One service serves every upstream, so it trusts what any
 * https upstream trusts.
 */
function lowerNetworkTlsOptions(upstreams: readonly ResolvedUpstream[]): TlsOptions | undefined {
  const https = upstreams.filter((upstream) => upstream.https !== undefined);
  return https.length === 0 ? undefined : lowerTlsOptions(https);
}

function lowerTlsOptions(upstreams: readonly ResolvedUpstream[]): TlsOptions {
  const trustedCertificates = upstreams.flatMap((upstream) =>
    upstream.https!.trustedCertificates.map((_, index) => new Embed(certificateFileName(upstream, index))),
  );
  return {
    trustBrowserCas: upstreams.some((upstream) => upstream.https!.trustBrowserCas),
    ...(trustedCertificates.length > 0 && { trustedCertificates }),
  };
}

/** Path of a trusted certificate file, relative to config.capnp. */
export function certificateFileName(upstream: ResolvedUpstream, index: number): string {
  return `certificates/${upstream.name}-${index + 1}.pem`;
}

/** Lists the trusted certificate files that config.capnp embeds, with their PEM text. */
export function certificateFiles(config: ResolvedConfig): { path: string; contents: string }[] {
  return config.upstreams.flatMap((upstream) =>
    (upstream.https?.trustedCertificates ?? []).map((contents, index) => ({
      path: certificateFileName(upstream, index),
      contents,
    })),
  );
}

function lowerSocket(socket: ResolvedSocket): Socket {
  // A socket bound to one upstream skips the worker: workerd forwards to the
  // external service natively, without running JavaScript.
  const lowered: Socket = { name: socket.name, service: socket.upstream ?? proxyServiceName, http: {} };
  // A socket that systemd opens arrives through --socket-fd and has no address of its own.
  if (socket.activation === "workerd") {
    lowered.address = formatHostPort(socket.address ?? "*", socket.port);
  }
  return lowered;
}
