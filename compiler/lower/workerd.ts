/** Lowers a resolved config to the model of workerd's config.capnp. */
import type { ResolvedConfig, ResolvedSocket } from "../config/resolved.js";
import { formatHostPort } from "../util/address.js";
import { Embed, type Config, type Service, type Socket, type Worker } from "../model/workerd.js";

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
      services.push({
        name: upstream.name,
        external: { address: formatHostPort(upstream.address.host, upstream.address.port), http: {} },
      });
    }
  } else {
    worker.globalOutbound = outboundServiceName;
    services.push({
      name: outboundServiceName,
      network: { allow: config.outbound.allow, deny: config.outbound.deny },
    });
  }

  return { services, sockets: config.sockets.map(lowerSocket) };
}

function lowerSocket(socket: ResolvedSocket): Socket {
  const lowered: Socket = { name: socket.name, service: proxyServiceName, http: {} };
  // A socket that systemd opens arrives through --socket-fd and has no address of its own.
  if (socket.activation === "workerd") {
    lowered.address = formatHostPort(socket.address ?? "*", socket.port);
  }
  return lowered;
}
