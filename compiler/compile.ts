/**
 * The compiler as a pure function: a config value in, the output files and
 * diagnostics out. It writes nothing and reads no file itself: the files a
 * config names (trusted certificates, embedded files) come through
 * `options.readFile`, and user workers are bundled by `options.bundleWorker`.
 */
import type { ResolvedConfig, ResolvedEmbed } from "./config/resolved.js";
import type { WorkerdComposeConfig } from "./config/types.js";
import { isBlocking, quote, type Diagnostic } from "./diagnostics.js";
import type { Config as WorkerdConfig } from "./model/workerd.js";
import { printCapnpConfig } from "./emit/capnp.js";
import { printInstallPlan } from "./emit/install-plan.js";
import { printUnitFile } from "./emit/unit.js";
import { createInstallPlan, type InstallPlan } from "./lower/install-plan.js";
import { generateNsenterScript } from "./lower/nsenter-script.js";
import { lowerPodmanUnits, lowerQuadletWorkerd } from "./lower/quadlet.js";
import { lowerHostService, lowerNsenterService, nsenterScriptName } from "./lower/services.js";
import { renderTopology, renderTopologyMarkdown } from "./lower/topology.js";
import { lowerSocketUnit, systemdSockets, type NamedUnit } from "./lower/units.js";
import { generateWorkerModules } from "./lower/worker-modules.js";
import {
  certificateFiles,
  lowerToWorkerdConfig,
  moduleFiles,
  proxyServiceName,
  workerdServeFlags,
} from "./lower/workerd.js";
import { loadCertificates, type ReadConfigFile } from "./load/certificates.js";
import { resolveConfig } from "./resolve/index.js";
import { checkHardening } from "./validate/hardening.js";
import { toPlainData } from "./validate/plain-data.js";
import { checkQuadletKeys, findNameMismatches, requiredPodmanRelease } from "./validate/quadlet.js";
import { checkSchema } from "./validate/schema.js";
import { checkSemantics } from "./validate/semantic.js";
import { byPath } from "./util/order.js";

/** A file of the output tree. */
export interface OutputFile {
  /** Path relative to the output directory, with `/` separators. */
  path: string;
  /** Text (written as UTF-8) or bytes. */
  contents: string | Uint8Array;
  /** Permission bits: 0o755 for scripts, 0o644 otherwise. */
  mode: number;
}

export interface CompileOptions {
  /** The date that compatibility dates are compared with. @default the current date */
  today?: Date;
  /**
   * Reads a file that the config names (a trusted certificate, or an
   * embedded file: `{ embed: PATH }`), given its path as written. build()
   * reads relative to the config file; without it, such files are reported
   * as unreadable.
   */
  readFile?: ReadConfigFile;
  /**
   * Bundles a user worker's entry module (`workers[].main`, as written) into
   * one ES module. build() bundles with esbuild; without it, a config with
   * workers is reported as not bundled.
   */
  bundleWorker?: (main: string) => string;
  /** Treat warnings as errors: any diagnostic stops the build. @default false */
  strict?: boolean;
}

export interface CompileResult {
  /** Output files sorted by path; empty when a diagnostic is an error (or, with `strict`, a warning). */
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
  /** The model that config.capnp prints; undefined when a diagnostic is an error. */
  workerdConfig: WorkerdConfig | undefined;
  /** Flags that `workerd serve` needs for this config, such as `--experimental`. */
  workerdFlags: string[];
  /** Mermaid source of the deployment's diagram, as in topology.md; undefined on errors. */
  topology: string | undefined;
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

/** Name of the Mermaid diagram at the top of the output tree; documentation, not installed. */
export const topologyFile = "topology.md";

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

/** Validates `config` and, when nothing blocks the build, generates every output file. */
export function compile(config: unknown, options: CompileOptions = {}): CompileResult {
  const plain = toPlainData(config);
  if (plain.diagnostics.length > 0) {
    return failed(plain.diagnostics);
  }
  const isBlocked = (diagnostics: readonly Diagnostic[]) =>
    diagnostics.some((diagnostic) => isBlocking(diagnostic, options.strict));

  const schemaDiagnostics = checkSchema(plain.value);
  if (schemaDiagnostics.length > 0) {
    return failed(schemaDiagnostics);
  }

  const typed = plain.value as WorkerdComposeConfig;
  const diagnostics = checkSemantics(typed, { today: options.today ?? new Date() });
  if (isBlocked(diagnostics)) {
    return failed(diagnostics);
  }
  const loaded = loadCertificates(typed, options.readFile);
  diagnostics.push(...loaded.diagnostics);
  if (loaded.diagnostics.length > 0) {
    return failed(diagnostics);
  }

  const resolved = resolveConfig(typed, loaded.certificates);
  diagnostics.push(...checkHardening(resolved));
  if (isBlocked(diagnostics)) {
    return failed(diagnostics);
  }

  const embedded = readEmbeddedFiles(resolved.workerd.embeds, options.readFile, diagnostics);
  const bundles = bundleUserWorkers(resolved, options.bundleWorker, diagnostics);
  if (isBlocked(diagnostics)) {
    return failed(diagnostics);
  }

  const workerdConfig = lowerToWorkerdConfig(resolved);
  const generated = generateFiles(resolved, workerdConfig);
  diagnostics.push(...generated.diagnostics);
  if (isBlocked(diagnostics)) {
    return failed(diagnostics);
  }
  const files = [...generated.files, ...embedded, ...bundles];
  const installPlan = createInstallPlan(resolved, files, generated.podmanRelease);
  files.push(file(installPlanFile, printInstallPlan(installPlan)));
  files.sort(byPath);
  const socketPaths = resolved.sockets.map(
    (socket): SocketPath =>
      socket.upstream === undefined
        ? { socket: socket.name, kind: "worker", service: proxyServiceName }
        : { socket: socket.name, kind: "direct", service: socket.upstream },
  );
  return {
    files,
    diagnostics,
    socketPaths,
    installPlan,
    workerdConfig,
    workerdFlags: workerdServeFlags(resolved),
    topology: renderTopology(resolved),
  };
}

function failed(diagnostics: Diagnostic[]): CompileResult {
  return {
    files: [],
    diagnostics,
    socketPaths: [],
    installPlan: undefined,
    workerdConfig: undefined,
    workerdFlags: [],
    topology: undefined,
  };
}


/** Bundles each user worker into its module file next to config.capnp. */
function bundleUserWorkers(
  config: ResolvedConfig,
  bundleWorker: CompileOptions["bundleWorker"],
  diagnostics: Diagnostic[],
): OutputFile[] {
  const files: OutputFile[] = [];
  config.workers.forEach((worker, index) => {
    try {
      if (bundleWorker === undefined) {
        throw new Error("compile() was called without a bundleWorker option");
      }
      files.push(file(`${outputFolders.workerd}/${worker.moduleFile}`, bundleWorker(worker.main)));
    } catch (error) {
      diagnostics.push({
        severity: "error",
        code: "worker-bundle-failed",
        expected: "a worker entry module that esbuild can bundle",
        path: `workers[${index}].main`,
        message: `Bundling the worker "${worker.name}" from "${worker.main}" failed: ${error instanceof Error ? error.message : String(error)}`,
        received: worker.main,
      });
    }
  });
  return files;
}

/** Reads the files that the raw layer embeds, as output files next to config.capnp. */
function readEmbeddedFiles(
  embeds: readonly ResolvedEmbed[],
  readFile: CompileOptions["readFile"],
  diagnostics: Diagnostic[],
): OutputFile[] {
  const files: OutputFile[] = [];
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  for (const embed of embeds) {
    let contents: Uint8Array;
    try {
      if (readFile === undefined) {
        throw new Error("compile() was called without a readFile option");
      }
      const read = readFile(embed.source);
      contents = typeof read === "string" ? new TextEncoder().encode(read) : read;
    } catch (error) {
      diagnostics.push({
        severity: "error",
        code: "embed-unreadable",
        expected: "a readable file, relative to the config file",
        path: "workerd",
        message: `The embedded file ${quote(embed.source)} cannot be read: ${readFailure(error)}.`,
        received: embed.source,
      });
      continue;
    }
    if (embed.text) {
      try {
        utf8.decode(contents);
      } catch {
        diagnostics.push({
          severity: "error",
          code: "embed-not-text",
          expected: "UTF-8 text",
          path: "workerd",
          message: `The embedded file "${embed.source}" is used as text but is not valid UTF-8.`,
          received: embed.source,
          hint: "Use it in a Data field (data, wasm, raw) or convert it to UTF-8.",
        });
        continue;
      }
    }
    files.push(file(`${outputFolders.workerd}/${embed.target}`, contents, embed.secret ? 0o600 : 0o644));
  }
  return files;
}

/** Generates every file but the install plan, with the errors of the Quadlet key check. */
function generateFiles(
  config: ResolvedConfig,
  workerdConfig: WorkerdConfig,
): { files: OutputFile[]; diagnostics: Diagnostic[]; podmanRelease?: string } {
  const modules = generateWorkerModules(config);
  const files: OutputFile[] = [
    file(`${outputFolders.workerd}/config.capnp`, printCapnpConfig(workerdConfig)),
    file(`${outputFolders.workerd}/${moduleFiles.main}`, modules.fetchJs),
    file(`${outputFolders.workerd}/${moduleFiles.library}`, modules.libraryJs),
    file(topologyFile, renderTopologyMarkdown(config)),
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
  return {
    files,
    diagnostics: checkQuadletKeys(podmanUnits, podmanVersion(config)),
    podmanRelease: requiredPodmanRelease(podmanUnits),
  };
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

function file(path: string, contents: string | Uint8Array, mode = 0o644): OutputFile {
  return { path, contents, mode };
}

/**
 * Encodes a successful compile result's workerd config in the binary form
 * that `workerd serve --binary` reads, with the embedded files inlined from
 * the result's files. capnp-es is loaded only here, on first use.
 */
export async function encodeBinaryConfig(result: CompileResult): Promise<Uint8Array> {
  if (result.workerdConfig === undefined) {
    throw new Error("encodeBinaryConfig() needs the result of a compile() without errors");
  }
  const { encodeBinaryConfig: encode } = await import("./emit/capnp-binary.js");
  const files = new Map(result.files.map((output) => [output.path, output.contents]));
  return encode(result.workerdConfig, (embedPath) => {
    const contents = files.get(`${outputFolders.workerd}/${embedPath}`);
    if (contents === undefined) {
      throw new Error(`config.capnp embeds ${embedPath}, which is not an output file`);
    }
    return typeof contents === "string" ? new TextEncoder().encode(contents) : contents;
  });
}

/** Words a file-system error without the absolute path that Node's message repeats. */
function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") {
    return "it does not exist";
  }
  return error instanceof Error ? error.message.replace(/, \w+ '.*'$/, "") : String(error);
}
