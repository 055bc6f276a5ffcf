/**
 * The public API of workerd-compose: an explicit list of named exports.
 * compile() is pure and in memory; build() and DevServer use the file system.
 */
import type { WorkerdComposeConfig } from "./config/types.js";

/**
 * Returns `config` unchanged. Its only job is the type annotation, which gives
 * editors completion and documentation for every field of the config.
 */
export function defineConfig(config: WorkerdComposeConfig): WorkerdComposeConfig {
  return config;
}

export { compile, encodeBinaryConfig, installPlanFile, outputFolders, topologyFile } from "./compile.js";
export type { CompileOptions, CompileResult, OutputFile, SocketPath } from "./compile.js";
export { printInstallPlan } from "./emit/install-plan.js";
export type { InstallPlan, InstallStep, InstalledFile } from "./lower/install-plan.js";
export { build } from "./build.js";
export type { BuildOptions, BuildResult } from "./build.js";
export { DevServer, ServeError, workerdBinaryPath } from "./serve.js";
export type { DevServerOptions, ServedSocket, ServeOutcome } from "./serve.js";
export { ConfigError, formatDiagnostic } from "./diagnostics.js";
export type { Diagnostic, Severity, SourceLocation } from "./diagnostics.js";
export { loadConfigFile, findConfigFile, configFileNames } from "./load/index.js";
export type { LoadedConfig } from "./load/index.js";
export type {
  DeploymentConfig,
  ExternalOutboundConfig,
  ForwardedConfig,
  HardeningConfig,
  NetworkConfig,
  NetworkOutboundConfig,
  OutboundConfig,
  QuadletDeploymentConfig,
  RouteConfig,
  SocketConfig,
  SystemdDeploymentConfig,
  SystemdNsenterDeploymentConfig,
  UnmatchedConfig,
  UpstreamConfig,
  UpstreamContainerConfig,
  UpstreamHttpsConfig,
  WorkerdComposeConfig,
  WorkerdRawConfig,
} from "./config/types.js";

// The raw layer: workerd.capnp's types under their schema names.
export { Embed } from "./model/workerd.js";
export type {
  Config as WorkerdConfig,
  AssetsService,
  CacheDirectory,
  ClusterBucket,
  ClusterConfig,
  DataValue,
  DiskDirectory,
  EmbedFile,
  Extension,
  Extension_Module,
  ExternalServer,
  ExternalServer_Https,
  ExternalServer_Tcp,
  HttpOptions,
  HttpOptions_Header,
  LoggingOptions,
  Network,
  Service,
  ServiceDesignator,
  ServiceDesignator_Props,
  ServiceDesignator_Struct,
  Socket,
  Socket_Https,
  Socket_Tcp,
  Socket_Udp,
  TextOrFile,
  TlsOptions,
  TlsOptions_Keypair,
  TracingOptions,
  Void,
  Worker,
  Worker_Binding,
  Worker_Binding_CryptoKey,
  Worker_Binding_CryptoKey_Algorithm,
  Worker_Binding_CryptoKey_Usage,
  Worker_Binding_DurableObjectNamespaceDesignator,
  Worker_Binding_Hyperdrive,
  Worker_Binding_MemoryCache,
  Worker_Binding_MemoryCacheLimits,
  Worker_Binding_Parameter,
  Worker_Binding_Type,
  Worker_Binding_WorkerLoader,
  Worker_Binding_WrappedBinding,
  Worker_ContainerEngine,
  Worker_DockerConfiguration,
  Worker_DurableObjectNamespace,
  Worker_DurableObjectNamespace_ContainerOptions,
  Worker_DurableObjectNamespace_ContainerOptions_ContainerPrivileges,
  Worker_DurableObjectNamespace_ContainerOptions_ContainerPrivileges_Device,
  Worker_DurableObjectNamespace_ContainerOptions_NamedImage,
  Worker_DurableObjectStorage,
  Worker_Module,
  WorkflowsEngine,
  WorkflowsEngine_Workflow,
} from "./model/workerd.js";
