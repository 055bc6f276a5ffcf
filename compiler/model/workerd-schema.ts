/**
 * The field types of workerd.capnp's structs, as data, for the code that
 * walks a model of model/workerd.ts without knowing each type: the text
 * printer, the binary encoder and the union check. Each struct is named as in
 * model/workerd.ts, groups and named unions included (`Socket_Https`,
 * `Worker_DurableObjectStorage`). A test compares this table with the
 * capnp-es classes generated from workerd.capnp.
 */

export type FieldType =
  | { kind: "text" }
  | { kind: "bool" }
  | { kind: "uint32" }
  | { kind: "uint64" }
  | { kind: "void" }
  | { kind: "data" }
  | { kind: "enum"; values: readonly string[] }
  | { kind: "struct"; struct: string }
  | { kind: "list"; element: FieldType };

export interface StructSchema {
  fields: Record<string, FieldType>;
  /** Fields of which at most one may be set, as workerd.capnp's unions. */
  union?: readonly string[];
  /** Whether one member of `union` must be set. */
  unionRequired?: boolean;
  /** Fields that must be set. */
  required?: readonly string[];
}

const text = { kind: "text" } as const;
const bool = { kind: "bool" } as const;
const uint32 = { kind: "uint32" } as const;
const uint64 = { kind: "uint64" } as const;
const voidType = { kind: "void" } as const;
const data = { kind: "data" } as const;
const struct = (name: string): FieldType => ({ kind: "struct", struct: name });
const list = (element: FieldType): FieldType => ({ kind: "list", element });
const enumOf = (...values: string[]): FieldType => ({ kind: "enum", values });
const designator = struct("ServiceDesignator");

const cryptoKeyUsage = enumOf(
  "encrypt",
  "decrypt",
  "sign",
  "verify",
  "deriveKey",
  "deriveBits",
  "wrapKey",
  "unwrapKey",
);

export const workerdSchema: Record<string, StructSchema> = {
  Config: {
    fields: {
      services: list(struct("Service")),
      sockets: list(struct("Socket")),
      v8Flags: list(text),
      extensions: list(struct("Extension")),
      autogates: list(text),
      logging: struct("LoggingOptions"),
      cluster: struct("ClusterConfig"),
      tracing: struct("TracingOptions"),
    },
  },
  ClusterConfig: {
    fields: {
      bucket: text,
      bucketOptions: list(text),
      address: text,
      advertise: text,
      key: text,
      unsafePublicAddress: bool,
      stopTimeoutMs: uint32,
      unsafeTimeDivisor: uint32,
    },
  },
  TracingOptions: { fields: { otlp: designator } },
  LoggingOptions: { fields: { structuredLogging: bool, stdoutPrefix: text, stderrPrefix: text } },
  Socket: {
    fields: {
      name: text,
      address: text,
      http: struct("HttpOptions"),
      https: struct("Socket_Https"),
      tcp: struct("Socket_Tcp"),
      udp: struct("Socket_Udp"),
      service: designator,
    },
    union: ["http", "https", "tcp", "udp"],
    unionRequired: true,
    required: ["name", "service"],
  },
  Socket_Https: { fields: { options: struct("HttpOptions"), tlsOptions: struct("TlsOptions") } },
  Socket_Tcp: { fields: { tlsOptions: struct("TlsOptions"), tlsMode: enumOf("implicit", "startTls") } },
  Socket_Udp: { fields: { idleTimeoutMs: uint32, maxPendingBytes: uint32 } },
  Service: {
    fields: {
      name: text,
      worker: struct("Worker"),
      network: struct("Network"),
      external: struct("ExternalServer"),
      disk: struct("DiskDirectory"),
      bucket: struct("ClusterBucket"),
      assets: struct("AssetsService"),
      cache: struct("CacheDirectory"),
    },
    union: ["worker", "network", "external", "disk", "bucket", "assets", "cache"],
    unionRequired: true,
    required: ["name"],
  },
  ClusterBucket: { fields: { path: text, localDisk: text, minPartSize: uint64 } },
  AssetsService: {
    fields: {
      path: text,
      config: text,
      userWorker: designator,
      compatibilityDate: text,
      compatibilityFlags: list(text),
    },
  },
  CacheDirectory: { fields: { path: text } },
  ServiceDesignator: {
    fields: { name: text, entrypoint: text, props: struct("ServiceDesignator_Props") },
    required: ["name"],
  },
  ServiceDesignator_Props: { fields: { empty: voidType, json: text }, union: ["empty", "json"] },
  WorkflowsEngine: {
    fields: { actorClass: designator, workflows: list(struct("WorkflowsEngine_Workflow")) },
  },
  WorkflowsEngine_Workflow: { fields: { className: text, name: text, bindingService: designator } },
  Worker: {
    fields: {
      modules: list(struct("Worker_Module")),
      serviceWorkerScript: text,
      inherit: text,
      compatibilityDate: text,
      compatibilityFlags: list(text),
      bindings: list(struct("Worker_Binding")),
      globalOutbound: designator,
      cacheApiOutbound: designator,
      durableObjectNamespaces: list(struct("Worker_DurableObjectNamespace")),
      durableObjectUniqueKeyModifier: text,
      durableObjectStorage: struct("Worker_DurableObjectStorage"),
      moduleFallback: text,
      tails: list(designator),
      streamingTails: list(designator),
      containerEngine: struct("Worker_ContainerEngine"),
      accessBlobHeader: text,
      accessBindingService: designator,
      workflowsEngine: struct("WorkflowsEngine"),
    },
    union: ["modules", "serviceWorkerScript", "inherit"],
    unionRequired: true,
  },
  Worker_Module: {
    fields: {
      name: text,
      esModule: text,
      commonJsModule: text,
      text,
      data,
      wasm: data,
      json: text,
      pythonModule: text,
      bundled: text,
      namedExports: list(text),
    },
    union: ["esModule", "commonJsModule", "text", "data", "wasm", "json", "pythonModule", "bundled"],
    unionRequired: true,
    required: ["name"],
  },
  Worker_Binding: {
    fields: {
      name: text,
      parameter: struct("Worker_Binding_Parameter"),
      text,
      data,
      json: text,
      wasmModule: data,
      cryptoKey: struct("Worker_Binding_CryptoKey"),
      service: designator,
      durableObjectClass: designator,
      durableObjectNamespace: struct("Worker_Binding_DurableObjectNamespaceDesignator"),
      kvNamespace: designator,
      r2Bucket: designator,
      wrapped: struct("Worker_Binding_WrappedBinding"),
      queue: designator,
      fromEnvironment: text,
      analyticsEngine: designator,
      hyperdrive: struct("Worker_Binding_Hyperdrive"),
      unsafeEval: voidType,
      memoryCache: struct("Worker_Binding_MemoryCache"),
      workerLoader: struct("Worker_Binding_WorkerLoader"),
      workerdDebugPort: voidType,
    },
    union: [
      "parameter",
      "text",
      "data",
      "json",
      "wasmModule",
      "cryptoKey",
      "service",
      "durableObjectClass",
      "durableObjectNamespace",
      "kvNamespace",
      "r2Bucket",
      "wrapped",
      "queue",
      "fromEnvironment",
      "analyticsEngine",
      "hyperdrive",
      "unsafeEval",
      "memoryCache",
      "workerLoader",
      "workerdDebugPort",
    ],
    unionRequired: true,
    required: ["name"],
  },
  Worker_Binding_Parameter: { fields: { type: struct("Worker_Binding_Type"), optional: bool } },
  Worker_Binding_Type: {
    fields: {
      text: voidType,
      data: voidType,
      json: voidType,
      wasm: voidType,
      cryptoKey: list(cryptoKeyUsage),
      service: voidType,
      durableObjectNamespace: voidType,
      kvNamespace: voidType,
      r2Bucket: voidType,
      queue: voidType,
      analyticsEngine: voidType,
      hyperdrive: voidType,
      durableObjectClass: voidType,
      workerdDebugPort: voidType,
    },
    union: [
      "text",
      "data",
      "json",
      "wasm",
      "cryptoKey",
      "service",
      "durableObjectNamespace",
      "kvNamespace",
      "r2Bucket",
      "queue",
      "analyticsEngine",
      "hyperdrive",
      "durableObjectClass",
      "workerdDebugPort",
    ],
    unionRequired: true,
  },
  Worker_Binding_DurableObjectNamespaceDesignator: {
    fields: { className: text, serviceName: text },
    required: ["className"],
  },
  Worker_Binding_CryptoKey: {
    fields: {
      raw: data,
      hex: text,
      base64: text,
      pkcs8: text,
      spki: text,
      jwk: text,
      algorithm: struct("Worker_Binding_CryptoKey_Algorithm"),
      extractable: bool,
      usages: list(cryptoKeyUsage),
    },
    union: ["raw", "hex", "base64", "pkcs8", "spki", "jwk"],
    unionRequired: true,
  },
  Worker_Binding_CryptoKey_Algorithm: { fields: { name: text, json: text }, union: ["name", "json"] },
  Worker_Binding_Hyperdrive: {
    fields: { designator, database: text, user: text, password: text, scheme: text },
  },
  Worker_Binding_MemoryCache: {
    fields: { id: text, limits: struct("Worker_Binding_MemoryCacheLimits") },
  },
  Worker_Binding_MemoryCacheLimits: {
    fields: { maxKeys: uint32, maxValueSize: uint32, maxTotalValueSize: uint64 },
  },
  Worker_Binding_WorkerLoader: { fields: { id: text } },
  Worker_Binding_WrappedBinding: {
    fields: { moduleName: text, entrypoint: text, innerBindings: list(struct("Worker_Binding")) },
    required: ["moduleName"],
  },
  Worker_DurableObjectNamespace: {
    fields: {
      className: text,
      uniqueKey: text,
      ephemeralLocal: voidType,
      preventEviction: bool,
      enableSql: bool,
      container: struct("Worker_DurableObjectNamespace_ContainerOptions"),
    },
    union: ["uniqueKey", "ephemeralLocal"],
    unionRequired: true,
    required: ["className"],
  },
  Worker_DurableObjectNamespace_ContainerOptions: {
    fields: {
      imageName: text,
      privileges: struct("Worker_DurableObjectNamespace_ContainerOptions_ContainerPrivileges"),
      images: list(struct("Worker_DurableObjectNamespace_ContainerOptions_NamedImage")),
    },
  },
  Worker_DurableObjectNamespace_ContainerOptions_NamedImage: { fields: { name: text, image: text } },
  Worker_DurableObjectNamespace_ContainerOptions_ContainerPrivileges: {
    fields: {
      capabilities: list(text),
      devices: list(struct("Worker_DurableObjectNamespace_ContainerOptions_ContainerPrivileges_Device")),
      securityOpt: list(text),
    },
  },
  Worker_DurableObjectNamespace_ContainerOptions_ContainerPrivileges_Device: {
    fields: { pathOnHost: text, pathInContainer: text, cgroupPermissions: text },
  },
  Worker_DurableObjectStorage: {
    fields: { none: voidType, inMemory: voidType, localDisk: text },
    union: ["none", "inMemory", "localDisk"],
    unionRequired: true,
  },
  Worker_ContainerEngine: {
    fields: { none: voidType, localDocker: struct("Worker_DockerConfiguration") },
    union: ["none", "localDocker"],
    unionRequired: true,
  },
  Worker_DockerConfiguration: {
    fields: { socketPath: text, containerEgressInterceptorImage: text, sessionId: text },
  },
  ExternalServer: {
    fields: {
      address: text,
      http: struct("HttpOptions"),
      https: struct("ExternalServer_Https"),
      tcp: struct("ExternalServer_Tcp"),
    },
    union: ["http", "https", "tcp"],
  },
  ExternalServer_Https: {
    fields: { options: struct("HttpOptions"), tlsOptions: struct("TlsOptions"), certificateHost: text },
  },
  ExternalServer_Tcp: { fields: { tlsOptions: struct("TlsOptions"), certificateHost: text } },
  Network: { fields: { allow: list(text), deny: list(text), tlsOptions: struct("TlsOptions") } },
  DiskDirectory: { fields: { path: text, writable: bool, allowDotfiles: bool } },
  HttpOptions: {
    fields: {
      style: enumOf("host", "proxy"),
      forwardedProtoHeader: text,
      cfBlobHeader: text,
      injectRequestHeaders: list(struct("HttpOptions_Header")),
      injectResponseHeaders: list(struct("HttpOptions_Header")),
      capnpConnectHost: text,
    },
  },
  HttpOptions_Header: { fields: { name: text, value: text }, required: ["name"] },
  TlsOptions: {
    fields: {
      keypair: struct("TlsOptions_Keypair"),
      requireClientCerts: bool,
      trustBrowserCas: bool,
      trustedCertificates: list(text),
      minVersion: enumOf("goodDefault", "ssl3", "tls1Dot0", "tls1Dot1", "tls1Dot2", "tls1Dot3"),
      cipherList: text,
    },
  },
  TlsOptions_Keypair: {
    fields: { privateKey: text, certificateChain: text },
    required: ["privateKey", "certificateChain"],
  },
  Extension: { fields: { modules: list(struct("Extension_Module")) } },
  Extension_Module: { fields: { name: text, internal: bool, esModule: text }, required: ["name"] },
};

/** Returns the schema of `name`, throwing for a name the table lacks (a bug). */
export function structSchema(name: string): StructSchema {
  const schema = workerdSchema[name];
  if (schema === undefined) {
    throw new Error(`workerd-schema.ts has no struct named ${name}`);
  }
  return schema;
}

/** Returns the union members set in `value`, a struct of type `name`. */
export function unionMembersSet(name: string, value: Record<string, unknown>): string[] {
  return (structSchema(name).union ?? []).filter((member) => value[member] !== undefined);
}

/** A struct met while walking a model, with its path segments from the walk's start. */
export interface VisitedStruct {
  typeName: string;
  value: Record<string, unknown>;
  path: (string | number)[];
}

/** A leaf value (text, data, …) met while walking a model. */
export interface VisitedField {
  /** Struct that contains the field. */
  typeName: string;
  field: string;
  type: FieldType;
  value: unknown;
  path: (string | number)[];
}

/**
 * Calls `visitStruct` for `value` (a struct of type `typeName`) and every
 * struct below it, and `visitField` for every field that is set, in the
 * order the objects list them. A string in a struct's place (a designator
 * written by name) is visited as a field, not as a struct.
 */
export function walkModel(
  typeName: string,
  value: Record<string, unknown>,
  path: (string | number)[],
  visitStruct: (visited: VisitedStruct) => void,
  visitField: (visited: VisitedField) => void = () => {},
): void {
  visitStruct({ typeName, value, path });
  const schema = structSchema(typeName);
  for (const [field, fieldValue] of Object.entries(value)) {
    const type = schema.fields[field];
    if (fieldValue === undefined || type === undefined) {
      continue;
    }
    walkValue(typeName, field, type, fieldValue, [...path, field], visitStruct, visitField);
  }
}

function walkValue(
  typeName: string,
  field: string,
  type: FieldType,
  value: unknown,
  path: (string | number)[],
  visitStruct: (visited: VisitedStruct) => void,
  visitField: (visited: VisitedField) => void,
): void {
  visitField({ typeName, field, type, value, path });
  if (type.kind === "struct" && typeof value === "object" && value !== null) {
    walkModel(type.struct, value as Record<string, unknown>, path, visitStruct, visitField);
  } else if (type.kind === "list" && Array.isArray(value)) {
    value.forEach((item, index) =>
      walkValue(typeName, field, type.element, item, [...path, index], visitStruct, visitField),
    );
  }
}
