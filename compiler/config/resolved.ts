/**
 * The config after validation and defaults: every field present, every
 * reference checked. Only the resolver builds it from what the user wrote;
 * the lowering steps read nothing else.
 */
import type { Config, Service, Socket, Worker_Binding } from "../model/workerd.js";
import type { HostPort } from "../util/address.js";

export interface ResolvedConfig {
  compatibilityDate: string;
  sockets: ResolvedSocket[];
  upstreams: ResolvedUpstream[];
  routes: ResolvedRoute[];
  outbound: ResolvedOutbound;
  unmatched: { status: 404 | 421 };
  forwarded: ResolvedForwarded;
  networks: ResolvedNetwork[];
  deployment: ResolvedDeployment;
  workers: ResolvedUserWorker[];
  workerd: ResolvedWorkerd;
}

/** A worker of the user's, bundled into one module of the output tree. */
export interface ResolvedUserWorker {
  name: string;
  /** Entry module as written, relative to the config file. */
  main: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  bindings: Worker_Binding[];
  /** Path of the bundled module, relative to config.capnp. */
  moduleFile: string;
}

/** The raw layer, with `embed` paths pointing into the output tree. */
export interface ResolvedWorkerd extends Omit<Config, "services" | "sockets"> {
  services: Service[];
  sockets: Socket[];
  /** Whether workerd runs with `--experimental`. */
  experimental: boolean;
  /** Files to copy into the output tree, sorted by target. */
  embeds: ResolvedEmbed[];
}

/** A file that the raw layer embeds. */
export interface ResolvedEmbed {
  /** Path as written in the config, relative to the config file. */
  source: string;
  /** Path relative to config.capnp, below its `files` folder. */
  target: string;
  /** Whether every use of the file is text, which must be UTF-8. */
  text: boolean;
  /** Whether the file is a private key, written readable by its owner only. */
  secret: boolean;
}

export interface ResolvedSocket {
  name: string;
  port: number;
  /** IP address to listen on; undefined for every address (dual-stack). */
  address: string | undefined;
  activation: "systemd" | "workerd";
  /**
   * File descriptor that systemd passes the socket as: 3 for the first
   * systemd-activated socket, 4 for the next, in the order of `sockets`.
   */
  fd: number | undefined;
  /** Upstream whose external service receives the socket's requests directly; undefined for the router. */
  upstream: string | undefined;
}

export interface ResolvedUpstream {
  name: string;
  /** Address workerd connects to; undefined for a pass-through upstream, which connects where the client requested. */
  address: HostPort | undefined;
  container: ResolvedContainer | undefined;
  /** Host header sent in place of the client's (`NAME` or `NAME:PORT`, normalised). */
  hostHeader: string | undefined;
  https: ResolvedHttps | undefined;
}

export interface ResolvedHttps {
  /** Always set for an upstream with an address; undefined for a pass-through upstream. */
  certificateHost: string | undefined;
  /** PEM text of each trusted CA certificate, one certificate per entry. */
  trustedCertificates: string[];
  trustBrowserCas: boolean;
}

export interface ResolvedForwarded {
  /** Trusted proxy ranges, IPv4-mapped IPv6 ranges also given in their IPv4 form. */
  trustedProxies: ResolvedTrustedProxy[];
  xForwardedFor: boolean;
  xForwardedHost: boolean;
  xForwardedProto: boolean;
  forwarded: boolean;
}

export interface ResolvedTrustedProxy {
  /** The range as the config wrote it. */
  cidr: string;
  /** `4:` or `6:` followed by the range's first PREFIX address bits, as the router matches them. */
  bits: string;
}

export interface ResolvedContainer {
  image: string;
  name: string;
  network: string;
  ip: string | undefined;
  port: number;
}

export interface ResolvedRoute {
  /** Normalised host name (lower case, punycode, no trailing dot), or `*.` and such a name. */
  host: string;
  /** Path prefix such as `/api`; undefined for every path of the host. */
  pathPrefix: string | undefined;
  /** Name of the upstream or user worker; the proxy has a binding of that name to each. */
  upstream: string;
}

export type ResolvedOutbound =
  | { mode: "external" }
  | { mode: "network"; allow: string[]; deny: string[] };

export interface ResolvedNetwork {
  name: string;
  internal: boolean;
  subnet: string | undefined;
}

export type ResolvedDeployment =
  | ResolvedQuadletDeployment
  | ResolvedSystemdNsenterDeployment
  | ResolvedSystemdDeployment;

export interface ResolvedQuadletDeployment {
  target: "quadlet";
  image: string;
  network: string;
  directory: string;
  unitName: string;
  podmanVersion: string;
}

export interface ResolvedSystemdNsenterDeployment {
  target: "systemd-nsenter";
  user: string;
  uid: number;
  group: string;
  directory: string;
  workerdPath: string;
  unitName: string;
  podmanVersion: string;
  hardening: ResolvedHardening;
}

export interface ResolvedSystemdDeployment {
  target: "systemd";
  /** User that workerd runs as; undefined for `DynamicUser=yes`. */
  user: string | undefined;
  /** Group that workerd runs as; undefined for the user's primary group. */
  group: string | undefined;
  directory: string;
  workerdPath: string;
  unitName: string;
  /** Number of workerd processes; above 1 the units are templates. */
  instances: number;
  hardening: ResolvedHardening;
}

/** The user's changes to a service's sandboxing directives, in config order. */
export interface ResolvedHardening {
  /** Directives to add or replace, each with its values (one line per value). */
  set: [key: string, values: string[]][];
  remove: string[];
}
