/**
 * A typed mirror of every user-settable part of workerd's config schema
 * (workerd.capnp of the npm package `workerd`). Type and field names follow
 * the schema, with `_` for nesting (`Worker_Module` is `Worker.Module`), so
 * each maps to one place in workerd.capnp. The compiler lowers the proxy DSL
 * into these types, and the DSL's `workerd` key takes them as written, so
 * the JSDoc here is also editor help for raw services and sockets.
 *
 * A union of the schema is a set of optional fields of which exactly one may
 * be set. validate/raw.ts checks that, because the printers rely on it. Obsolete
 * fields and the `unspecified` union members are left out.
 */

/**
 * The content of a file, read when the config is compiled. The path is
 * relative to the config file. The file is copied into the output tree, where
 * config.capnp refers to it with `embed` and config.bin contains its bytes.
 */
export interface EmbedFile {
  /** Path of the file, relative to the config file's directory. */
  embed: string;
}

/** `embed "path"` in config.capnp, with a path relative to config.capnp. */
export class Embed implements EmbedFile {
  constructor(readonly embed: string) {}
}

/** Text that may also come from a file. */
export type TextOrFile = string | EmbedFile;

/** Binary data: a file's bytes, or base64 text. */
export type DataValue = EmbedFile | { base64: string };

/** A Void union member: set it to `true` to select it. */
export type Void = true;

/** The top-level config of a workerd instance. */
export interface Config {
  /** Named services. */
  services?: Service[];
  /** Listening sockets, each handing its connections to a service. */
  sockets?: Socket[];
  /** Flags passed to V8, such as `--max-old-space-size=256`. Not stable across V8 versions. */
  v8Flags?: string[];
  /** Modules that extensions make importable by every worker. */
  extensions?: Extension[];
  /** Names of workerd's internal feature gates to enable. */
  autogates?: string[];
  /** Log format and console prefixes. */
  logging?: LoggingOptions;
  /** Membership of a cluster of workerd instances that share Durable Objects. Experimental. */
  cluster?: ClusterConfig;
  /** Export of the spans of worker invocations. */
  tracing?: TracingOptions;
}

/** Cluster membership; see ClusterConfig in workerd.capnp. Experimental. */
export interface ClusterConfig {
  /** Bucket that contains the cluster's state: `s3://bucket/prefix` or `gs://bucket/prefix`. */
  bucket?: string;
  /** `key=value` settings of an `s3://` bucket, such as `aws_region=auto`. */
  bucketOptions?: string[];
  /** `HOST:PORT` on which this instance listens for the other instances. */
  address?: string;
  /** `HOST:PORT` at which the other instances reach this one. */
  advertise?: string;
  /** Secret shared by the cluster's instances, at least 32 bytes. */
  key?: TextOrFile;
  /** Allow a public IP address as `address` or `advertise`. @default false */
  unsafePublicAddress?: boolean;
  /**
   * Milliseconds from SIGTERM to exit.
   * @asType integer
   * @minimum 0
   * @default 8000
   */
  stopTimeoutMs?: number;
  /**
   * Divisor of the cluster's waiting times, for tests only.
   * @asType integer
   * @minimum 1
   * @default 1
   */
  unsafeTimeDivisor?: number;
}

/** Export of spans. */
export interface TracingOptions {
  /** Service that receives spans as OTLP/HTTP protobuf POSTs to `/v1/traces`. */
  otlp?: ServiceDesignator;
}

/** Log format and the prefixes of the console streams. */
export interface LoggingOptions {
  /** Write logs as JSON lines. @default false */
  structuredLogging?: boolean;
  /** Prefix of lines written to process.stdout. workerd's default is `stdout: `. */
  stdoutPrefix?: string;
  /** Prefix of lines written to process.stderr. workerd's default is `stderr: `. */
  stderrPrefix?: string;
}

/** A listening socket. Set exactly one of `http`, `https`, `tcp` and `udp`. */
export interface Socket {
  /** Unique name, also used by `--socket-addr NAME=ADDR` and `--socket-fd NAME=FD`. */
  name: string;
  /**
   * Address to listen on: `*:80`, `127.0.0.1:8080`, `[::1]:8080` or
   * `unix:/path`. Without it, the address is given on the command line.
   */
  address?: string;
  /** Serve plain HTTP. */
  http?: HttpOptions;
  /** Serve HTTPS. */
  https?: Socket_Https;
  /** Hand raw TCP connections to the service's `connect()` handler. */
  tcp?: Socket_Tcp;
  /** Hand UDP datagrams to the service's `connect()` handler. */
  udp?: Socket_Udp;
  /** Service that receives the socket's requests or connections. */
  service: ServiceDesignator;
}

/** HTTPS on a socket. */
export interface Socket_Https {
  /** HTTP options. */
  options?: HttpOptions;
  /** TLS options; `keypair` is required on a server socket. */
  tlsOptions?: TlsOptions;
}

/** Raw TCP on a socket. */
export interface Socket_Tcp {
  /** TLS for accepted connections, if any. */
  tlsOptions?: TlsOptions;
  /** When TLS starts: at once (`implicit`) or when the handler calls `startTls()`. @default "implicit" */
  tlsMode?: "implicit" | "startTls";
}

/** UDP on a socket. */
export interface Socket_Udp {
  /**
   * Milliseconds without a datagram after which a peer's flow ends.
   * @asType integer
   * @minimum 0
   * @default 30000
   */
  idleTimeoutMs?: number;
  /**
   * Bytes of datagrams queued per flow before further datagrams are dropped.
   * @asType integer
   * @minimum 0
   * @default 262144
   */
  maxPendingBytes?: number;
}

/** A named service. Set exactly one of the service kinds. */
export interface Service {
  /** Unique name that sockets, bindings and other services refer to. */
  name: string;
  /** A worker. */
  worker?: Worker;
  /** Access to a network; fetch() connects to the URL's host. */
  network?: Network;
  /** One server that receives every request sent to this service. */
  external?: ExternalServer;
  /** A directory on disk served over HTTP GET (and PUT when writable). */
  disk?: DiskDirectory;
  /** Objects served over workerd's bucket API. Experimental. */
  bucket?: ClusterBucket;
  /** Static assets served as Cloudflare serves a worker's assets. Experimental. */
  assets?: AssetsService;
  /** The backend of the Cache API, with entries stored on disk. Experimental. */
  cache?: CacheDirectory;
}

/** A bucket of objects; see ClusterBucket in workerd.capnp. Experimental. */
export interface ClusterBucket {
  /** Directory of the objects: `/`-separated names, none `.` or `..`. */
  path?: string;
  /** Outside a cluster, the name of a writable `disk` service that stores the objects. */
  localDisk?: string;
  /**
   * Minimum size of a multipart upload's parts except the last, in bytes.
   * @asType integer
   * @minimum 0
   * @default 5242880
   */
  minPartSize?: number;
}

/** Static assets; see AssetsService in workerd.capnp. Experimental. */
export interface AssetsService {
  /** Directory of the assets, relative to workerd's working directory. */
  path?: string;
  /** Assets options as JSON text, as in wrangler's `assets`. */
  config?: TextOrFile;
  /** The worker that receives requests that are not for an asset. */
  userWorker?: ServiceDesignator;
  /** Compatibility date that selects the assets behaviour when there is no user worker. */
  compatibilityDate?: string;
  /** Compatibility flags that select the assets behaviour when there is no user worker. */
  compatibilityFlags?: string[];
}

/** The Cache API's storage. Experimental. */
export interface CacheDirectory {
  /** Directory of the entries, relative to workerd's working directory. */
  path?: string;
}

/**
 * A reference to a service: its name, or an object that also selects an
 * entrypoint and the value of `ctx.props`.
 */
export type ServiceDesignator = string | ServiceDesignator_Struct;

/** A service reference with options. */
export interface ServiceDesignator_Struct {
  /** Name of the service. */
  name: string;
  /** Named export of the target worker to call instead of the default export. */
  entrypoint?: string;
  /** Value of `ctx.props` in the target worker. Set exactly one member. */
  props?: ServiceDesignator_Props;
}

/** `ctx.props`: an empty object or a JSON value. */
export interface ServiceDesignator_Props {
  /** An empty object (the default). */
  empty?: Void;
  /** A JSON-encoded value. */
  json?: string;
}

/** The engine that runs the Workflows of a worker. */
export interface WorkflowsEngine {
  /** Durable Object class that runs the Workflows. */
  actorClass?: ServiceDesignator;
  /** Workflows that get a binding in `ctx.exports`. */
  workflows?: WorkflowsEngine_Workflow[];
}

/** One Workflow of a worker. */
export interface WorkflowsEngine_Workflow {
  /** Name of the class that extends `WorkflowEntrypoint`. */
  className?: string;
  /** Name of the Workflow. */
  name?: string;
  /** Service that implements the Workflows API for the binding. */
  bindingService?: ServiceDesignator;
}

/** A worker. Set exactly one of `modules` and `serviceWorkerScript`. */
export interface Worker {
  /** ES modules and other modules; the first is the main module. */
  modules?: Worker_Module[];
  /** One script that registers handlers with `addEventListener()`. */
  serviceWorkerScript?: TextOrFile;
  /** Not supported: workerd 1.20261123.1 crashes at start with an inherited worker. */
  inherit?: string;
  /** Compatibility date, `YYYY-MM-DD`. */
  compatibilityDate?: string;
  /** Compatibility flags, such as `nodejs_compat`. */
  compatibilityFlags?: string[];
  /** Bindings, delivered to the worker in `env`. */
  bindings?: Worker_Binding[];
  /** Service that plain `fetch()` calls go to. workerd's default is `internet`. */
  globalOutbound?: ServiceDesignator;
  /** Service that the Cache API (`caches.default`, `caches.open()`) goes to. */
  cacheApiOutbound?: ServiceDesignator;
  /** Durable Object classes that this worker exports. */
  durableObjectNamespaces?: Worker_DurableObjectNamespace[];
  /** Not supported by workerd 1.20261123.1 ("not implemented yet"). */
  durableObjectUniqueKeyModifier?: string;
  /** Storage of the worker's Durable Objects. Set exactly one member. */
  durableObjectStorage?: Worker_DurableObjectStorage;
  /** Address of a service that resolves imports the worker's modules do not provide. */
  moduleFallback?: string;
  /** Tail workers that receive this worker's events. */
  tails?: ServiceDesignator[];
  /** Streaming tail workers that receive this worker's events. */
  streamingTails?: ServiceDesignator[];
  /** Container engine for Durable Objects with containers. Set exactly one member. */
  containerEngine?: Worker_ContainerEngine;
  /** Header that carries Cloudflare Access metadata in local development. */
  accessBlobHeader?: string;
  /** Service that resolves `ctx.access.getIdentity()` in local development. */
  accessBindingService?: ServiceDesignator;
  /** Service that runs the Workflows defined in this worker. */
  workflowsEngine?: WorkflowsEngine;
}

/** A module of a worker. Set exactly one content member. */
export interface Worker_Module {
  /** Name (or path) by which other modules import it. */
  name: string;
  /** An ES module. */
  esModule?: TextOrFile;
  /** A CommonJS module that uses `require()`. */
  commonJsModule?: TextOrFile;
  /** Text; importing it gives a string. */
  text?: TextOrFile;
  /** Bytes; importing them gives an ArrayBuffer. */
  data?: DataValue;
  /** A compiled WebAssembly module; importing it gives a `WebAssembly.Module`. */
  wasm?: DataValue;
  /** JSON text; importing it gives the parsed value. */
  json?: TextOrFile;
  /** Not supported: Python workers download their runtime from the internet at start. */
  pythonModule?: TextOrFile;
  /** A module that workerd ships, such as `/workerd/kv.js`. Experimental. */
  bundled?: string;
  /** Named exports of a CommonJS module. */
  namedExports?: string[];
}

/** A binding: a value or a resource in the worker's `env`. Set exactly one kind. */
export interface Worker_Binding {
  /** Name of the binding in `env`. */
  name: string;
  /** Not supported: a parameter is filled in by an inheriting worker, which this workerd cannot run. */
  parameter?: Worker_Binding_Parameter;
  /** A string. */
  text?: TextOrFile;
  /** An ArrayBuffer. */
  data?: DataValue;
  /** A value parsed from JSON text. */
  json?: TextOrFile;
  /** A WebAssembly module, for service-worker syntax only. */
  wasmModule?: DataValue;
  /** A WebCrypto CryptoKey. */
  cryptoKey?: Worker_Binding_CryptoKey;
  /** Another service, called with `env.NAME.fetch()` or RPC. */
  service?: ServiceDesignator;
  /** A Durable Object class, without a storage namespace. */
  durableObjectClass?: ServiceDesignator;
  /** A Durable Object namespace; a string is the class name in the same worker. */
  durableObjectNamespace?: string | Worker_Binding_DurableObjectNamespaceDesignator;
  /** A KV namespace implemented by the named service. */
  kvNamespace?: ServiceDesignator;
  /** An R2 bucket implemented by the named service. */
  r2Bucket?: ServiceDesignator;
  /** Inner bindings wrapped by an extension module. */
  wrapped?: Worker_Binding_WrappedBinding;
  /** A queue implemented by the named service. */
  queue?: ServiceDesignator;
  /** The value of an environment variable of the workerd process, or null when unset. */
  fromEnvironment?: string;
  /** Analytics Engine events sent to the named service. Experimental. */
  analyticsEngine?: ServiceDesignator;
  /** A Hyperdrive binding for a Postgres database. */
  hyperdrive?: Worker_Binding_Hyperdrive;
  /** The UnsafeEval API. Experimental. */
  unsafeEval?: Void;
  /** An in-memory cache shared within the process. Experimental. */
  memoryCache?: Worker_Binding_MemoryCache;
  /** A loader of workers from code given at run time. Experimental. */
  workerLoader?: Worker_Binding_WorkerLoader;
  /** Connections to other workerd instances' debug ports. */
  workerdDebugPort?: Void;
}

/** A parameter binding. */
export interface Worker_Binding_Parameter {
  /** Expected type. */
  type?: Worker_Binding_Type;
  /** Whether an inheriting worker may leave it out. */
  optional?: boolean;
}

/** Type of a parameter binding. Set exactly one member. */
export interface Worker_Binding_Type {
  text?: Void;
  data?: Void;
  json?: Void;
  wasm?: Void;
  cryptoKey?: Worker_Binding_CryptoKey_Usage[];
  service?: Void;
  durableObjectNamespace?: Void;
  kvNamespace?: Void;
  r2Bucket?: Void;
  queue?: Void;
  analyticsEngine?: Void;
  hyperdrive?: Void;
  durableObjectClass?: Void;
  workerdDebugPort?: Void;
}

/** A Durable Object namespace of this or another worker. */
export interface Worker_Binding_DurableObjectNamespaceDesignator {
  /** Exported class name. */
  className: string;
  /** Service of the worker that exports the class; this worker when absent. */
  serviceName?: string;
}

/** Operations a CryptoKey may be used for. */
export type Worker_Binding_CryptoKey_Usage =
  | "encrypt"
  | "decrypt"
  | "sign"
  | "verify"
  | "deriveKey"
  | "deriveBits"
  | "wrapKey"
  | "unwrapKey";

/** Arguments of `crypto.subtle.importKey()`. Set exactly one key format. */
export interface Worker_Binding_CryptoKey {
  /** Raw key bytes. */
  raw?: DataValue;
  /** Raw key bytes as hexadecimal text. */
  hex?: TextOrFile;
  /** Raw key bytes as base64 text. */
  base64?: TextOrFile;
  /** A private key in PEM-encoded PKCS#8. */
  pkcs8?: TextOrFile;
  /** A public key in PEM-encoded SPKI. */
  spki?: TextOrFile;
  /** A key as JWK JSON text. */
  jwk?: TextOrFile;
  /** The `algorithm` argument. Set exactly one member. */
  algorithm?: Worker_Binding_CryptoKey_Algorithm;
  /** Whether the worker may export the key material. @default false */
  extractable?: boolean;
  /** Allowed operations. */
  usages?: Worker_Binding_CryptoKey_Usage[];
}

/** The `algorithm` argument: a name or a JSON object. */
export interface Worker_Binding_CryptoKey_Algorithm {
  /** An algorithm name such as `HMAC` or `AES-GCM`. */
  name?: string;
  /** An algorithm object as JSON text. */
  json?: string;
}

/** A Hyperdrive binding. */
export interface Worker_Binding_Hyperdrive {
  /** Service that connects to the database. */
  designator?: ServiceDesignator;
  database?: string;
  user?: string;
  password?: string;
  scheme?: string;
}

/** An in-memory cache binding. */
export interface Worker_Binding_MemoryCache {
  /** Identifier of the cache; bindings with the same id share it. */
  id?: string;
  /** Size limits of the cache. */
  limits?: Worker_Binding_MemoryCacheLimits;
}

/** Size limits of an in-memory cache. */
export interface Worker_Binding_MemoryCacheLimits {
  /**
   * @asType integer
   * @minimum 0
   */
  maxKeys?: number;
  /**
   * Bytes.
   * @asType integer
   * @minimum 0
   */
  maxValueSize?: number;
  /**
   * Bytes.
   * @asType integer
   * @minimum 0
   */
  maxTotalValueSize?: number;
}

/** A worker loader binding. */
export interface Worker_Binding_WorkerLoader {
  /** Identifier shared by bindings that share loaded workers. */
  id?: string;
}

/** Bindings wrapped by a function of an internal module. */
export interface Worker_Binding_WrappedBinding {
  /** Internal module, provided by an extension, that wraps the bindings. */
  moduleName: string;
  /** Exported function that builds the binding. @default "default" */
  entrypoint?: string;
  /** Bindings passed to that function. */
  innerBindings?: Worker_Binding[];
}

/** A Durable Object class of this worker. Set `uniqueKey` or `ephemeralLocal`. */
export interface Worker_DurableObjectNamespace {
  /** Exported class name. */
  className: string;
  /** Stable secret from which object ids are derived; losing it loses access to stored objects. */
  uniqueKey?: string;
  /** Objects without storage, addressed by any string. Experimental. */
  ephemeralLocal?: Void;
  /** Keep objects in memory instead of evicting them when idle. */
  preventEviction?: boolean;
  /** Allow the `storage.sql` API. */
  enableSql?: boolean;
  /** A container attached to each object. */
  container?: Worker_DurableObjectNamespace_ContainerOptions;
}

/** A Durable Object's container. */
export interface Worker_DurableObjectNamespace_ContainerOptions {
  /** Default image. */
  imageName?: string;
  /** Docker HostConfig privileges, passed through unchecked. */
  privileges?: Worker_DurableObjectNamespace_ContainerOptions_ContainerPrivileges;
  /** Images offered to the object as `ctx.container.images`. */
  images?: Worker_DurableObjectNamespace_ContainerOptions_NamedImage[];
}

export interface Worker_DurableObjectNamespace_ContainerOptions_NamedImage {
  name?: string;
  image?: string;
}

export interface Worker_DurableObjectNamespace_ContainerOptions_ContainerPrivileges {
  /** Docker `CapAdd` values. */
  capabilities?: string[];
  /** Docker `Devices` values. */
  devices?: Worker_DurableObjectNamespace_ContainerOptions_ContainerPrivileges_Device[];
  /** Docker `SecurityOpt` values. */
  securityOpt?: string[];
}

export interface Worker_DurableObjectNamespace_ContainerOptions_ContainerPrivileges_Device {
  pathOnHost?: string;
  pathInContainer?: string;
  cgroupPermissions?: string;
}

/** Storage of Durable Objects. Set exactly one member. */
export interface Worker_DurableObjectStorage {
  /** No storage; only allowed without namespaces or with ephemeral ones. */
  none?: Void;
  /** In memory, lost when the process exits. */
  inMemory?: Void;
  /** In the directory of the named `disk` service, which must be writable. */
  localDisk?: string;
}

/** The container engine. Set exactly one member. */
export interface Worker_ContainerEngine {
  /** No engine. */
  none?: Void;
  /** The local Docker daemon. */
  localDocker?: Worker_DockerConfiguration;
}

export interface Worker_DockerConfiguration {
  /** Path of the Docker socket. */
  socketPath?: string;
  /** Image of the sidecar that routes containers' outbound traffic through workerd. */
  containerEgressInterceptorImage?: string;
  /** Session name that scopes the Docker resources workerd creates. */
  sessionId?: string;
}

/** A server that receives every request sent to the service. Set at most one protocol; plain HTTP without one. */
export interface ExternalServer {
  /** `HOST:PORT`, `[IPv6]:PORT` or `unix:/path`. Without it, it is given with `--external-addr`. */
  address?: string;
  /** Plain HTTP. */
  http?: HttpOptions;
  /** HTTPS. */
  https?: ExternalServer_Https;
  /** Raw TCP, for `connect()` only. */
  tcp?: ExternalServer_Tcp;
}

/** HTTPS to an external server. */
export interface ExternalServer_Https {
  /** HTTP options. */
  options?: HttpOptions;
  /** TLS options, such as `trustedCertificates` for a private CA. */
  tlsOptions?: TlsOptions;
  /** Host name that the server's certificate must be valid for; also sent as SNI. */
  certificateHost?: string;
}

/** Raw TCP, optionally with TLS, to an external server. */
export interface ExternalServer_Tcp {
  /** TLS options; TLS is used when they are present. */
  tlsOptions?: TlsOptions;
  /** Host name that the server's certificate must be valid for. */
  certificateHost?: string;
}

/** Access to a network, limited by address ranges. */
export interface Network {
  /**
   * CIDR ranges or `public`, `private`, `local`, `network`, `unix`,
   * `unix-abstract`. workerd's default is `["public"]`.
   */
  allow?: string[];
  /** Ranges refused even when `allow` contains them. */
  deny?: string[];
  /** TLS for https fetches; without it they fail. */
  tlsOptions?: TlsOptions;
}

/** A directory served over HTTP. */
export interface DiskDirectory {
  /** Directory path; relative paths start at workerd's working directory. */
  path?: string;
  /** Accept PUT requests that write files. @default false */
  writable?: boolean;
  /** Serve names that start with `.`. @default false */
  allowDotfiles?: boolean;
}

/** HTTP options of a socket or a server. */
export interface HttpOptions {
  /** `host`: ordinary HTTP; `proxy`: forward-proxy requests with a full URL. @default "host" */
  style?: "host" | "proxy";
  /** Header whose value (`http` or `https`) sets the scheme of the request URL. Trust it only behind a proxy. */
  forwardedProtoHeader?: string;
  /** Header that carries `request.cf` as JSON. Trust it only behind a proxy. */
  cfBlobHeader?: string;
  /** Headers set on every request, replacing any of the same name. */
  injectRequestHeaders?: HttpOptions_Header[];
  /** Headers set on every response, replacing any of the same name. */
  injectResponseHeaders?: HttpOptions_Header[];
  /** Host that a CONNECT request names to open a Cap'n Proto RPC connection. */
  capnpConnectHost?: string;
}

/** A header to inject. */
export interface HttpOptions_Header {
  /** Header name, case-insensitive. */
  name: string;
  /** Value; without it the header is removed. */
  value?: string;
}

/** TLS options of a client or a server. */
export interface TlsOptions {
  /** Private key and certificate chain; required on a server. */
  keypair?: TlsOptions_Keypair;
  /** Reject clients without a certificate from a trusted CA. @default false */
  requireClientCerts?: boolean;
  /** Trust the CAs that browsers trust. @default false */
  trustBrowserCas?: boolean;
  /** Additional trusted CA certificates in PEM. */
  trustedCertificates?: TextOrFile[];
  /** Minimum TLS version. @default "goodDefault" */
  minVersion?: "goodDefault" | "ssl3" | "tls1Dot0" | "tls1Dot1" | "tls1Dot2" | "tls1Dot3";
  /** OpenSSL cipher list. */
  cipherList?: string;
}

/** A private key and its certificate chain. */
export interface TlsOptions_Keypair {
  /** Private key in PEM, usually `{ embed: "key.pem" }`. */
  privateKey: TextOrFile;
  /** Certificate chain in PEM, leaf first. */
  certificateChain: TextOrFile;
}

/** Modules that every worker can import. */
export interface Extension {
  /** The extension's modules. */
  modules?: Extension_Module[];
}

/** A module of an extension. */
export interface Extension_Module {
  /** Module name, a URL with a scheme other than `file:`, e.g. `my-extension:api`. */
  name: string;
  /** Importable only by other extension modules. @default false */
  internal?: boolean;
  /** Source of the ES module. */
  esModule?: TextOrFile;
}
