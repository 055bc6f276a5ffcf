/** The public API of workerd-compose. */
import type { WorkerdComposeConfig } from "./config/types.js";

/**
 * Returns `config` unchanged. Its only job is the type annotation, which gives
 * editors completion and documentation for every field of the config.
 */
export function defineConfig(config: WorkerdComposeConfig): WorkerdComposeConfig {
  return config;
}

export { compile, installPlanFile, outputFolders } from "./compile.js";
export type { CompileOptions, CompileResult, OutputFile, SocketPath } from "./compile.js";
export { printInstallPlan } from "./emit/install-plan.js";
export type { InstallPlan, InstallStep, InstalledFile } from "./lower/install-plan.js";
export { build } from "./build.js";
export type { BuildOptions, BuildResult } from "./build.js";
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
} from "./config/types.js";
