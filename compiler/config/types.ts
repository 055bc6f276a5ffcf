/**
 * The configuration a user writes: every field the DSL accepts, with the
 * defaults the resolver fills in. The JSON Schema in schema/ is generated from
 * this file, so each JSDoc comment here also becomes editor help for JSON and
 * YAML configs.
 */
import type {
  ClusterConfig,
  Extension,
  LoggingOptions,
  Service,
  Socket,
  TracingOptions,
  Worker_Binding,
} from "../model/workerd.js";

/** One workerd deployment: where it listens, what it proxies to and how it runs. */
export interface WorkerdComposeConfig {
  /** URL or path of the JSON Schema, so that editors complete JSON and YAML configs. */
  $schema?: string;

  /**
   * Compatibility date of the generated worker, as `YYYY-MM-DD`. It must not be
   * in the future and not newer than the workerd binary supports.
   * @pattern ^\d{4}-\d{2}-\d{2}$
   */
  compatibilityDate: string;

  /**
   * Listening sockets. Each becomes a socket in config.capnp and, when systemd
   * activates it, a `ListenStream=` line of the socket unit.
   * @minItems 1
   */
  sockets: SocketConfig[];

  /** Servers that requests are forwarded to. */
  upstreams: UpstreamConfig[];

  /**
   * Routes from a request's host name (and optionally a path prefix) to an
   * upstream. An exact host name beats a wildcard, a longer wildcard suffix
   * beats a shorter one, and on the chosen host the longest matching path
   * prefix wins.
   */
  routes: RouteConfig[];

  /**
   * How the worker reaches its upstreams.
   * @default { "mode": "external" }
   */
  outbound?: OutboundConfig;

  /** The response to a request that no route takes. */
  unmatched?: UnmatchedConfig;

  /**
   * The forwarding headers the upstream receives, and which peers may pass
   * on their own. By default workerd is the edge: `X-Forwarded-For`,
   * `X-Forwarded-Host` and `X-Forwarded-Proto` are replaced with what it saw.
   * @default {}
   */
  forwarded?: ForwardedConfig;

  /** Rootless Podman networks, each emitted as a Quadlet `.network` file. */
  networks?: NetworkConfig[];

  /** How workerd is installed and started. */
  deployment: DeploymentConfig;

  /** The user's own workers, which routes can send requests to. */
  workers?: UserWorkerConfig[];

  /**
   * workerd's own config, written as in workerd.capnp: services and sockets
   * added next to the generated ones, extensions, V8 flags and logging.
   */
  workerd?: WorkerdRawConfig;
}

/**
 * Parts of workerd's config that the proxy DSL does not describe, written
 * with workerd.capnp's names. Services and sockets here are added to
 * config.capnp as written; their names must differ from the generated ones.
 */
export interface WorkerdRawConfig {
  /** Services added next to the generated proxy, upstream and outbound services. */
  services?: Service[];

  /** Sockets added next to the ones that `sockets` generates. */
  sockets?: Socket[];

  /** Extensions: modules that every worker can import. */
  extensions?: Extension[];

  /** Flags passed to V8. */
  v8Flags?: string[];

  /** workerd's internal feature gates to enable. */
  autogates?: string[];

  /** Log format and console prefixes. */
  logging?: LoggingOptions;

  /** Export of the spans of worker invocations. */
  tracing?: TracingOptions;

  /** Cluster membership. Needs `experimental`. */
  cluster?: ClusterConfig;

  /**
   * Allow features that workerd runs only with `--experimental`, and pass
   * that flag in the generated command lines.
   * @default false
   */
  experimental?: boolean;
}

/** A listening socket of workerd. */
export interface SocketConfig {
  /**
   * Name of the socket in config.capnp and in workerd's `--socket-fd NAME=FD`.
   * @pattern ^[A-Za-z][A-Za-z0-9_-]*$
   */
  name: string;

  /**
   * TCP port to listen on.
   * @asType integer
   * @minimum 1
   * @maximum 65535
   */
  port: number;

  /**
   * IP address to listen on. Without it the socket listens on every address,
   * IPv4 and IPv6 (dual-stack). An IPv6 address is written without brackets.
   */
  address?: string;

  /**
   * The side that opens the socket. `systemd`: a socket unit listens and hands the socket
   * to workerd as a file descriptor, so workerd needs no privilege to bind it
   * and starts on the first connection. `workerd`: workerd binds the address
   * itself, which only the `systemd` target allows, on ports from 1024.
   * @default "systemd"
   */
  activation?: "systemd" | "workerd";

  /**
   * Name of an upstream (from `upstreams`) that receives every request of
   * this socket, whatever its host. The socket then points at the upstream's
   * `external` service directly and no JavaScript runs, which roughly doubles
   * the requests per second. That path adds no forwarding headers and cannot
   * rewrite the Host header, so it requires `forwarded.xForwardedFor`,
   * `xForwardedHost`, `xForwardedProto` and `forwarded` switched off, the
   * `external` outbound, and an upstream with an address and no `hostHeader`.
   * Forwarding headers that the client sent reach the upstream unchanged, so
   * use it only where the upstream ignores them or trusts every client.
   * Without it, requests go through the routes.
   */
  upstream?: string;
}

/** A server that the proxy forwards requests to. */
export interface UpstreamConfig {
  /**
   * Name of the upstream, used by routes. It also names the upstream's service
   * and binding in config.capnp.
   * @pattern ^[A-Za-z][A-Za-z0-9_-]*$
   */
  name: string;

  /**
   * `HOST:PORT` to connect to, e.g. `whoami.example.com:80`, `10.89.0.10:8080`
   * or `[fd00::10]:80`. Without it, the address is derived from `container`:
   * its IP address for `systemd-nsenter` deployments, otherwise its name, and
   * the container's port. With a container, the address must name that
   * container (or its `ip`) and its port.
   */
  address?: string;

  /** The rootless Podman container that serves this upstream, emitted as a Quadlet `.container` file. */
  container?: UpstreamContainerConfig;

  /**
   * Forward each request to the host and port the client asked for, over
   * plain HTTP through the `network` outbound, instead of to a fixed
   * address. The client then picks the destination, so this needs
   * `outbound.mode: "network"` with an `allow` list of CIDR ranges only.
   * A pass-through upstream has neither `address` nor `container`.
   * @default false
   */
  passThrough?: boolean;

  /**
   * Host header of the forwarded requests, as `NAME` or `NAME:PORT`. Without
   * it the upstream receives the host the client requested (lower case, IDN in
   * punycode, port kept). Only for `outbound.mode: "external"`, because a
   * `network` outbound connects to the host of the request URL, which is the
   * upstream's address.
   */
  hostHeader?: string;

  /** Connect to the upstream over HTTPS instead of plain HTTP. */
  https?: UpstreamHttpsConfig;
}

/** TLS settings of an upstream reached over HTTPS. */
export interface UpstreamHttpsConfig {
  /**
   * Host name that the upstream's certificate must be valid for; workerd
   * also sends it as SNI. It defaults to the host of the upstream's address
   * when that is a name, and is required when the address is an IP address.
   */
  certificateHost?: string;

  /**
   * CA certificates to trust for this upstream, such as a private CA or the
   * upstream's self-signed certificate. Each entry is either PEM text
   * (starting with `-----BEGIN CERTIFICATE-----`) or the path of a PEM file
   * relative to the config file. Files are read at build time.
   * @default []
   */
  trustedCertificates?: string[];

  /**
   * Whether the CAs that web browsers trust are trusted too. Set it to
   * `false` to accept only `trustedCertificates`.
   * @default true
   */
  trustBrowserCas?: boolean;
}

/** A container that serves an upstream. */
export interface UpstreamContainerConfig {
  /**
   * Container image, e.g. `docker.io/traefik/whoami`, or a Quadlet `.image`
   * or `.build` unit (Podman 4.8 and 5.2 or later).
   * @pattern ^[!-~]+$
   */
  image: string;

  /**
   * Container name. Other containers on the same network resolve it through
   * Podman's DNS, so it is the host name that the proxy connects to.
   * Defaults to the upstream's name.
   * @pattern ^[A-Za-z0-9][A-Za-z0-9_.-]*$
   */
  name?: string;

  /** Name of the network (from `networks`) that the container joins. */
  network: string;

  /**
   * Fixed IPv4 address of the container on its network. Needed when workerd
   * runs outside Podman (`systemd-nsenter`), where Podman's DNS does not answer.
   */
  ip?: string;

  /**
   * TCP port the container serves HTTP on.
   * @asType integer
   * @minimum 1
   * @maximum 65535
   * @default 80
   */
  port?: number;
}

/** A route from a request's host name, and optionally a path prefix, to an upstream. */
export interface RouteConfig {
  /**
   * Host name to match, e.g. `whoami.example.com`, or a wildcard such as
   * `*.example.com`, which matches names with one or more labels before
   * `.example.com` (`a.example.com`, `a.b.example.com`) but never
   * `example.com` itself. Matching ignores case and a trailing dot, and an
   * IDN name matches its punycode form. The port of the request is ignored.
   */
  host: string;

  /**
   * Path prefix such as `/api`: the route takes `/api` and every path below
   * `/api/` on its host, but not `/apix`. Matching is case-sensitive, on the
   * percent-encoded path with `.` and `..` segments resolved. The upstream
   * receives the full path; the prefix is not removed. Without a prefix the
   * route takes every path of its host that no prefix route takes.
   */
  pathPrefix?: string;

  /**
   * Name of the upstream (from `upstreams`) that receives the request. Set
   * exactly one of `upstream` and `worker`.
   */
  upstream?: string;

  /**
   * Name of the user's worker (from `workers`) that receives the request
   * instead of an upstream.
   */
  worker?: string;
}

/**
 * A worker written by the user. Its entry module and everything it imports
 * are bundled with esbuild into one ES module, which the output tree
 * contains and config.capnp embeds. Routes send requests to it by name.
 */
export interface UserWorkerConfig {
  /**
   * Name of the worker, used by routes. It also names the worker's service
   * and the proxy's binding to it, so it must differ from every upstream's.
   * @pattern ^[A-Za-z][A-Za-z0-9_-]*$
   */
  name: string;

  /**
   * Entry module, relative to the config file, e.g. `src/api.ts`. TypeScript
   * and JavaScript are bundled; `cloudflare:` and `node:` imports are left to
   * workerd. Its default export handles the requests.
   */
  main: string;

  /**
   * Compatibility date of the worker, `YYYY-MM-DD`. Defaults to the
   * config's `compatibilityDate`.
   * @pattern ^\d{4}-\d{2}-\d{2}$
   */
  compatibilityDate?: string;

  /** Compatibility flags, such as `nodejs_compat`. */
  compatibilityFlags?: string[];

  /** Bindings of the worker, written as in workerd.capnp. */
  bindings?: Worker_Binding[];
}

/**
 * How the worker reaches upstreams: one `external` service and binding per
 * upstream, or one `network` service used as the worker's global outbound.
 * @discriminator mode
 */
export type OutboundConfig = ExternalOutboundConfig | NetworkOutboundConfig;

/** One `external` service per upstream, each bound to the worker. */
export interface ExternalOutboundConfig {
  mode: "external";
}

/**
 * A `network` service set as the worker's `globalOutbound`: the worker
 * forwards with `fetch()`, and the connection goes to whatever the upstream's
 * host name resolves to, within `allow`.
 */
export interface NetworkOutboundConfig {
  mode: "network";

  /**
   * Destinations the network service may connect to: CIDR ranges such as
   * `10.89.0.0/24`, or workerd's names `public`, `private`, `local`, `network`.
   * With a `passThrough` upstream it must list CIDR ranges only, none of
   * them `/0`, because the client picks the destination. Cover IPv6 too
   * (e.g. `fd00::/64`) when a destination's name may resolve to IPv6.
   * @minItems 1
   */
  allow: string[];

  /** Destinations refused even when `allow` contains them. */
  deny?: string[];
}

/** The response to a request whose host matches no route. */
export interface UnmatchedConfig {
  /**
   * HTTP status: 404 (Not Found) or 421 (Misdirected Request).
   * @default 404
   */
  status?: 404 | 421;
}

/** Forwarding headers and the peers trusted to send their own. */
export interface ForwardedConfig {
  /**
   * CIDR ranges (IPv4 and IPv6) of proxies in front of workerd. A request
   * from such a peer keeps its forwarding headers: workerd appends the peer's
   * address to `X-Forwarded-For` and to `Forwarded`, and keeps
   * `X-Forwarded-Host` and `X-Forwarded-Proto` when the peer sent them. An
   * IPv4 client of a dual-stack socket (`::ffff:a.b.c.d`) matches the IPv4
   * ranges.
   * @default []
   */
  trustedProxies?: string[];

  /**
   * Whether the upstream receives `X-Forwarded-For` with the client's IP
   * address. When off, the header is removed from requests of untrusted peers.
   * @default true
   */
  xForwardedFor?: boolean;

  /**
   * Whether the upstream receives `X-Forwarded-Host` with the host (and port)
   * the client requested. When off, the header is removed from requests of
   * untrusted peers.
   * @default true
   */
  xForwardedHost?: boolean;

  /**
   * Whether the upstream receives `X-Forwarded-Proto` with the scheme of the
   * client's request. When off, the header is removed from requests of
   * untrusted peers.
   * @default true
   */
  xForwardedProto?: boolean;

  /**
   * Whether the upstream receives the standard `Forwarded` header (RFC 7239)
   * with `for`, `host` and `proto`, an IPv6 client written as
   * `for="[2001:db8::1]"`. When off, the header is removed from requests of
   * untrusted peers.
   * @default false
   */
  forwarded?: boolean;
}

/** A rootless Podman network, emitted as a Quadlet `.network` file. */
export interface NetworkConfig {
  /**
   * Name of the network. The file is `NAME.network` and Podman names the network `NAME`.
   * @pattern ^[A-Za-z0-9][A-Za-z0-9_.-]*$
   */
  name: string;

  /**
   * Whether containers on the network are cut off from other networks.
   * @default true
   */
  internal?: boolean;

  /** Subnet in CIDR form, e.g. `10.89.0.0/24`. Pin it when containers have fixed addresses. */
  subnet?: string;
}

/**
 * How workerd is installed and started.
 * @discriminator target
 */
export type DeploymentConfig = QuadletDeploymentConfig | SystemdNsenterDeploymentConfig | SystemdDeploymentConfig;

/**
 * workerd in a rootless Podman container, described by Quadlet user units:
 * `workerd.socket` and `workerd.container`.
 */
export interface QuadletDeploymentConfig {
  target: "quadlet";

  /**
   * Container image whose entrypoint is the workerd binary, e.g. `localhost/workerd`.
   * @pattern ^[!-~]+$
   */
  image: string;

  /** Name of the network (from `networks`) that the workerd container joins. */
  network: string;

  /**
   * Host directory that contains config.capnp and the worker modules, mounted
   * read-only into the container. It may start with `%h`, the user's home directory.
   * @default "%h/workerd"
   */
  directory?: string;

  /**
   * Base name of the units: `NAME.socket` activates `NAME.container`.
   * @pattern ^[A-Za-z0-9][A-Za-z0-9_.-]*$
   * @default "workerd"
   */
  unitName?: string;

  /**
   * Podman release that runs the Quadlet files, as `MAJOR.MINOR`. A Quadlet
   * key that this release does not know is an error.
   * @pattern ^\d+\.\d+(\.\d+)?$
   * @default "5.4"
   */
  podmanVersion?: string;
}

/**
 * workerd from the host file system as a system service that runs as the
 * rootless Podman user, inside that user's Podman network namespace (entered
 * with nsenter), so it reaches containers by their IP addresses.
 */
export interface SystemdNsenterDeploymentConfig {
  target: "systemd-nsenter";

  /**
   * The user that runs rootless Podman; workerd runs as this user.
   * @pattern ^[a-z_][a-z0-9_-]*\$?$
   */
  user: string;

  /**
   * Numeric id of `user`. It locates the user's runtime directory
   * `/run/user/UID`, where Podman keeps the files that point to its namespaces.
   * @asType integer
   * @minimum 1
   */
  uid: number;

  /**
   * Group that workerd runs as. Defaults to `user`.
   * @pattern ^[a-z_][a-z0-9_-]*\$?$
   */
  group?: string;

  /**
   * Directory that contains config.capnp, the worker modules and the start script.
   * @default "/var/srv/workerd"
   */
  directory?: string;

  /**
   * Path of the workerd binary on the host.
   * @default "/usr/local/bin/workerd"
   */
  workerdPath?: string;

  /**
   * Base name of the system units: `NAME.socket` activates `NAME.service`.
   * @pattern ^[A-Za-z0-9][A-Za-z0-9_.-]*$
   * @default "workerd"
   */
  unitName?: string;

  /**
   * Podman release that runs the upstreams' Quadlet files, as `MAJOR.MINOR`.
   * A Quadlet key that this release does not know is an error.
   * @pattern ^\d+\.\d+(\.\d+)?$
   * @default "5.4"
   */
  podmanVersion?: string;

  /**
   * Changes to the service's sandboxing. The default is the set that nsenter
   * still works with: the strict set with `ProtectHome=read-only`,
   * `RestrictNamespaces=user net`, `PrivateNetwork=yes` and no `PrivateUsers=`.
   */
  hardening?: HardeningConfig;
}

/**
 * workerd from the host file system as a hardened system service that reaches
 * its upstreams directly by IP address.
 */
export interface SystemdDeploymentConfig {
  target: "systemd";

  /**
   * User that workerd runs as. Without it, systemd allocates an unprivileged
   * user for each run (`DynamicUser=yes`), which owns no files.
   * @pattern ^[a-z_][a-z0-9_-]*\$?$
   */
  user?: string;

  /**
   * Group that workerd runs as, only together with `user`. Defaults to the
   * user's primary group.
   * @pattern ^[a-z_][a-z0-9_-]*\$?$
   */
  group?: string;

  /**
   * Directory of config.capnp and the worker modules.
   * @default "/etc/workerd"
   */
  directory?: string;

  /**
   * Path of the workerd binary on the host.
   * @default "/usr/local/bin/workerd"
   */
  workerdPath?: string;

  /**
   * Base name of the system units: `NAME.socket` activates `NAME.service`.
   * @pattern ^[A-Za-z0-9][A-Za-z0-9_.-]*$
   * @default "workerd"
   */
  unitName?: string;

  /**
   * Number of workerd processes that serve the same sockets. With more than
   * one, the units become templates, `NAME@.socket` and `NAME@.service`,
   * started as `NAME@1.socket` … `NAME@N.socket`. Each instance's socket
   * unit opens its own listening sockets with `ReusePort=yes`, so the kernel
   * spreads new connections over the instances. Every socket must then be
   * opened by systemd.
   * @asType integer
   * @minimum 1
   * @maximum 64
   * @default 1
   */
  instances?: number;

  /**
   * Changes to the service's sandboxing. The default is the strict set:
   * no capabilities, a read-only file system, private /tmp, devices and
   * users, a system call filter, and IP traffic only to the upstreams' addresses.
   */
  hardening?: HardeningConfig;
}

/**
 * Changes to the sandboxing directives of a system service's `[Service]`
 * section. Directives that stop workerd from working are rejected, such as
 * `MemoryDenyWriteExecute=yes` (V8 compiles code at run time) or
 * `Type=notify` (workerd never reports that it is ready).
 */
export interface HardeningConfig {
  /**
   * Directives to add or replace, e.g. `{ "MemoryMax": "512M", "ReadOnlyPaths":
   * ["/srv/a", "/srv/b"] }`. A list writes one line per item and replaces
   * every line of that directive in the default set. Values are literal text:
   * a `%` is written as `%%`, so systemd expands no specifier.
   */
  set?: Record<string, string | string[]>;

  /** Directives of the default set to leave out, e.g. `["PrivateUsers"]`. */
  remove?: string[];
}
