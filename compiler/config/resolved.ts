/**
 * The config after validation and defaults: every field present, every
 * reference checked. Only the resolver builds it from what the user wrote;
 * the lowering steps read nothing else.
 */
import type { HostPort } from "../util/address.js";

export interface ResolvedConfig {
  compatibilityDate: string;
  sockets: ResolvedSocket[];
  upstreams: ResolvedUpstream[];
  routes: ResolvedRoute[];
  outbound: ResolvedOutbound;
  unmatched: { status: 404 | 421 };
  networks: ResolvedNetwork[];
  deployment: ResolvedDeployment;
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
}

export interface ResolvedUpstream {
  name: string;
  /** Where workerd connects to. */
  address: HostPort;
  container: ResolvedContainer | undefined;
}

export interface ResolvedContainer {
  image: string;
  name: string;
  network: string;
  ip: string | undefined;
  port: number;
}

export interface ResolvedRoute {
  /** Normalised host name: lower case, punycode, no trailing dot. */
  host: string;
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

export type ResolvedDeployment = ResolvedQuadletDeployment | ResolvedSystemdNsenterDeployment;

export interface ResolvedQuadletDeployment {
  target: "quadlet";
  image: string;
  network: string;
  directory: string;
  unitName: string;
}

export interface ResolvedSystemdNsenterDeployment {
  target: "systemd-nsenter";
  user: string;
  uid: number;
  group: string;
  directory: string;
  workerdPath: string;
  unitName: string;
}
