/**
 * The compiler as a pure function: a config value in, the output files and
 * diagnostics out. It writes nothing and reads no file itself: the
 * certificate files a config names come through `options.readFile`.
 */
import type { ResolvedConfig } from "./config/resolved.js";
import type { WorkerdComposeConfig } from "./config/types.js";
import type { Diagnostic } from "./diagnostics.js";
import { printCapnpConfig } from "./emit/capnp.js";
import { printInstallPlan } from "./emit/install-plan.js";
import { printUnitFile } from "./emit/unit.js";
import { createInstallPlan, type InstallPlan } from "./lower/install-plan.js";
import { generateNsenterScript } from "./lower/nsenter-script.js";
import { lowerPodmanUnits, lowerQuadletWorkerd } from "./lower/quadlet.js";
import { lowerHostService, lowerNsenterService, nsenterScriptName } from "./lower/services.js";
import { lowerSocketUnit, systemdSockets, type NamedUnit } from "./lower/units.js";
import { generateWorkerModules } from "./lower/worker-modules.js";
import { certificateFiles, lowerToWorkerdConfig, moduleFiles, proxyServiceName } from "./lower/workerd.js";
import { loadCertificates, type ReadConfigFile } from "./load/certificates.js";
import { resolveConfig } from "./resolve/index.js";
import { checkHardening } from "./validate/hardening.js";
import { checkQuadletKeys, findNameMismatches } from "./validate/quadlet.js";
import { checkSchema } from "./validate/schema.js";
import { checkSemantics } from "./validate/semantic.js";

/** A file of the output tree. */
export interface OutputFile {
  /** Path relative to the output directory, with `/` separators. */
  path: string;
  contents: string;
  /** Permission bits: 0o755 for scripts, 0o644 otherwise. */
  mode: number;
}

export interface CompileOptions {
  /** The date that compatibility dates are compared with. @default the current date */
  today?: Date;
  /**
   * Reads a file that the config names (a trusted certificate), given its
   * path as written. build() reads relative to the config file; without it,
   * such entries are reported as unreadable.
   */
  readFile?: ReadConfigFile;
}

export interface CompileResult {
  /** Output files sorted by path; empty when a diagnostic is an error. */
  files: OutputFile[];
  diagnostics: Diagnostic[];
  /** Where each socket's requests go; empty when a diagnostic is an error. */
  socketPaths: SocketPath[];
  /**
   * The install plan: each file's destination, and the commands that install
   * and start the deployment. INSTALL.md in the output tree prints the same
   * plan. Undefined when a diagnostic is an error.
   */
  installPlan: InstallPlan | undefined;
}

/** The path that a socket's requests take through workerd. */
export interface SocketPath {
  socket: string;
  /** `worker`: the generated router runs; `direct`: workerd forwards to the upstream's external service without JavaScript. */
  kind: "worker" | "direct";
  /** Name of the service in config.capnp that receives the socket's requests. */
  service: string;
}

/** Name of the install plan at the top of the output tree. */
export const installPlanFile = "INSTALL.md";

/** Folders of the output tree, each mirroring the place its files are installed to. */
export const outputFolders = {
  /** The deployment's `directory`: config.capnp, worker modules, start script. */
  workerd: "workerd",
  /** ~/.config/systemd/user/ */
  userUnits: "systemd/user",
  /** /etc/systemd/system/ */
  systemUnits: "systemd/system",
  /** ~/.config/containers/systemd/ of the rootless Podman user. */
  quadlet: "containers/systemd",
} as const;

/** Validates `config` and, when it has no errors, generates every output file. */
export function compile(config: unknown, options: CompileOptions = {}): CompileResult {
  const schemaDiagnostics = checkSchema(config);
  if (schemaDiagnostics.length > 0) {
    return failed(schemaDiagnostics);
  }

  const typed = config as WorkerdComposeConfig;
  const diagnostics = checkSemantics(typed, options.today ?? new Date());
  if (hasErrors(diagnostics)) {
    return failed(diagnostics);
  }
  const loaded = loadCertificates(typed, options.readFile);
  diagnostics.push(...loaded.diagnostics);
  if (loaded.diagnostics.length > 0) {
    return failed(diagnostics);
  }

  const resolved = resolveConfig(typed, loaded.certificates);
  diagnostics.push(...checkHardening(resolved));
  if (hasErrors(diagnostics)) {
    return failed(diagnostics);
  }

  const generated = generateFiles(resolved);
  diagnostics.push(...generated.diagnostics);
  if (hasErrors(diagnostics)) {
    return failed(diagnostics);
  }
  const files = generated.files;
  const installPlan = createInstallPlan(resolved, files);
  files.push(file(installPlanFile, printInstallPlan(installPlan)));
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const socketPaths = resolved.sockets.map(
    (socket): SocketPath =>
      socket.upstream === undefined
        ? { socket: socket.name, kind: "worker", service: proxyServiceName }
        : { socket: socket.name, kind: "direct", service: socket.upstream },
  );
  return { files, diagnostics, socketPaths, installPlan };
}

function failed(diagnostics: Diagnostic[]): CompileResult {
  return { files: [], diagnostics, socketPaths: [], installPlan: undefined };
}

function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((diagnostic) => diagnostic.severity === "error");
}

/** Generates every file but the install plan, with the errors of the Quadlet key check. */
function generateFiles(config: ResolvedConfig): { files: OutputFile[]; diagnostics: Diagnostic[] } {
  const workerdConfig = lowerToWorkerdConfig(config);
  const modules = generateWorkerModules(config);
  const files: OutputFile[] = [
    file(`${outputFolders.workerd}/config.capnp`, printCapnpConfig(workerdConfig)),
    file(`${outputFolders.workerd}/${moduleFiles.main}`, modules.fetchJs),
    file(`${outputFolders.workerd}/${moduleFiles.library}`, modules.libraryJs),
    ...certificateFiles(config).map((certificate) =>
      file(`${outputFolders.workerd}/${certificate.path}`, certificate.contents),
    ),
  ];

  const deployment = config.deployment;
  const podmanUnits: NamedUnit[] = deployment.target === "systemd" ? [] : lowerPodmanUnits(config);
  if (deployment.target === "quadlet") {
    podmanUnits.push(lowerQuadletWorkerd(config, deployment));
    files.push(unitFile(outputFolders.userUnits, lowerSocketUnit(config, deployment.unitName)));
  } else if (deployment.target === "systemd-nsenter") {
    files.push(
      unitFile(outputFolders.systemUnits, lowerSocketUnit(config, deployment.unitName)),
      unitFile(outputFolders.systemUnits, lowerNsenterService(config, deployment)),
      file(`${outputFolders.workerd}/${nsenterScriptName}`, generateNsenterScript(config, deployment), 0o755),
    );
  } else {
    if (systemdSockets(config).length > 0) {
      files.push(
        unitFile(outputFolders.systemUnits, lowerSocketUnit(config, deployment.unitName, deployment.instances)),
      );
    }
    files.push(unitFile(outputFolders.systemUnits, lowerHostService(config, deployment)));
  }

  if (podmanUnits.length === 0) {
    return { files, diagnostics: [] };
  }
  const mismatches = findNameMismatches(config, podmanUnits, workerdConfig);
  if (mismatches.length > 0) {
    throw new Error(`the generated Quadlet files and config.capnp disagree: ${mismatches.join("; ")}`);
  }
  files.push(...podmanUnits.map((named) => unitFile(outputFolders.quadlet, named)));
  return { files, diagnostics: checkQuadletKeys(podmanUnits, podmanVersion(config)) };
}

function podmanVersion(config: ResolvedConfig): string {
  if (config.deployment.target === "systemd") {
    throw new Error('the "systemd" target emits no Quadlet files');
  }
  return config.deployment.podmanVersion;
}

function unitFile(folder: string, named: NamedUnit): OutputFile {
  return file(`${folder}/${named.fileName}`, printUnitFile(named.unit));
}

function file(path: string, contents: string, mode = 0o644): OutputFile {
  return { path, contents, mode };
}
