/**
 * The install plan of a deployment: where each generated file goes, who owns
 * it, and the commands that install and start it. The destinations come from
 * the same deployment values as the paths inside the units.
 */
import type {
  ResolvedConfig,
  ResolvedDeployment,
  ResolvedQuadletDeployment,
  ResolvedSystemdDeployment,
  ResolvedSystemdNsenterDeployment,
} from "../config/resolved.js";
import { shellQuote } from "./nsenter-script.js";
import { systemdSockets } from "./units.js";
import { compareCodeUnits } from "../util/order.js";

/** A generated file and where it is installed. */
export interface InstalledFile {
  /** Path in the output tree, with `/` separators. */
  source: string;
  /** Path on the host; `~/` is the home of the user who runs the commands, `~NAME/` that of user NAME. */
  destination: string;
  /** Owner as `user:group`; undefined for the user who runs the commands. */
  owner: string | undefined;
  mode: number;
}

/** Commands that one user runs, in order, from the output directory. */
export interface InstallStep {
  /** `root`, or the name of the user; undefined for the rootless Podman user of the `quadlet` target. */
  runAs: string | undefined;
  description: string;
  commands: string[];
}

export interface InstallPlan {
  target: ResolvedDeployment["target"];
  /** Conditions the host must meet before the steps run. */
  prerequisites: string[];
  files: InstalledFile[];
  steps: InstallStep[];
}

/** An output file as the plan needs it. */
export interface PlannedFile {
  path: string;
  mode: number;
}

/**
 * Install directories of the output tree's folders, each in the form
 * `InstalledFile.destination` uses, in the order the plan installs them.
 */
function installDirectories(deployment: ResolvedDeployment): Map<string, string> {
  const directory = deployment.directory.replace(/^%h(?=\/|$)/, "~");
  const podmanHome = deployment.target === "systemd-nsenter" ? `~${deployment.user}` : "~";
  return new Map([
    ["workerd", directory],
    ["systemd/user", "~/.config/systemd/user"],
    ["systemd/system", "/etc/systemd/system"],
    ["containers/systemd", `${podmanHome}/.config/containers/systemd`],
  ]);
}

/** Builds the plan for `files`, the output files of `config` other than the plan itself. */
export function createInstallPlan(
  config: ResolvedConfig,
  files: readonly PlannedFile[],
  podmanRelease?: string,
): InstallPlan {
  const directories = installDirectories(config.deployment);
  const folders = [...directories.keys()];
  // A file belongs to the output folder its path starts with, subfolders
  // included: workerd/certificates/ goes below the deployment's directory.
  const folderOf = (path: string) => folders.findIndex((folder) => path.startsWith(`${folder}/`));
  const installed = files
    .filter((file) => folderOf(file.path) >= 0)
    .sort((a, b) => folderOf(a.path) - folderOf(b.path) || compareCodeUnits(a.path, b.path))
    .map((file): InstalledFile => {
      const folder = folders[folderOf(file.path)]!;
      const destination = `${directories.get(folder)}${file.path.slice(folder.length)}`;
      return { source: file.path, destination, owner: ownerOf(config.deployment, file.path), mode: file.mode };
    });

  const deployment = config.deployment;
  if (deployment.target === "quadlet") {
    return planQuadlet(config, deployment, installed, podmanRelease ?? deployment.podmanVersion);
  }
  if (deployment.target === "systemd-nsenter") {
    return planNsenter(config, deployment, installed, podmanRelease ?? deployment.podmanVersion);
  }
  return planHost(config, deployment, installed);
}

/** Files of system-wide places belong to root; the Podman user's files to that user. */
function ownerOf(deployment: ResolvedDeployment, path: string): string | undefined {
  if (deployment.target === "quadlet") {
    return undefined;
  }
  if (deployment.target === "systemd-nsenter" && path.startsWith("containers/")) {
    return `${deployment.user}:${deployment.group}`;
  }
  return "root:root";
}

function planQuadlet(
  config: ResolvedConfig,
  deployment: ResolvedQuadletDeployment,
  files: InstalledFile[],
  podmanRelease: string,
): InstallPlan {
  const prerequisites = [
    `Podman ${podmanRelease} or later (\`podman --version\`), and the image ${deployment.image} (\`podman image exists ${shellQuote(deployment.image)}\`).`,
    "Lingering for your user, so that the units run without a login session: `loginctl enable-linger \"$USER\"`.",
    ...unprivilegedPortPrerequisite(config),
  ];
  return {
    target: deployment.target,
    prerequisites,
    files,
    steps: [
      {
        runAs: undefined,
        description: "Install the files and start the socket.",
        commands: [
          mkdirCommand(files),
          ...files.map(installCommand),
          "systemctl --user daemon-reload",
          ...startUpstreams(config, "systemctl --user"),
          `systemctl --user enable --now ${deployment.unitName}.socket`,
        ],
      },
    ],
  };
}

function planNsenter(
  config: ResolvedConfig,
  deployment: ResolvedSystemdNsenterDeployment,
  files: InstalledFile[],
  podmanRelease: string,
): InstallPlan {
  const systemFiles = files.filter((file) => !file.source.startsWith("containers/"));
  // The user's Quadlet files are installed by that user, so the directories
  // created on the way belong to the user too.
  const podmanFiles = files
    .filter((file) => file.source.startsWith("containers/"))
    .map((file) => ({ ...file, destination: file.destination.replace(/^~[^/]+/, "~"), owner: undefined }));
  return {
    target: deployment.target,
    prerequisites: [
      `The workerd binary at ${deployment.workerdPath}.`,
      `The user ${deployment.user} (uid ${deployment.uid}) with rootless Podman ${podmanRelease} or later.`,
      "nsenter from util-linux at /usr/bin/nsenter.",
    ],
    files,
    steps: [
      {
        runAs: "root",
        description: `Install workerd's files and the system units, and let ${deployment.user}'s units run without a login session.`,
        commands: [
          mkdirCommand(systemFiles),
          ...systemFiles.map(installCommand),
          `loginctl enable-linger ${deployment.user}`,
          "systemctl daemon-reload",
        ],
      },
      {
        runAs: deployment.user,
        description: `Install the Quadlet files from this directory, which ${deployment.user} must be able to read, and start the upstream containers, whose network namespace workerd enters.`,
        commands: [
          mkdirCommand(podmanFiles),
          ...podmanFiles.map(installCommand),
          "systemctl --user daemon-reload",
          ...startUpstreams(config, "systemctl --user"),
        ],
      },
      {
        runAs: "root",
        description: "Start the socket. The first connection starts workerd.",
        commands: [`systemctl enable --now ${deployment.unitName}.socket`],
      },
    ],
  };
}

function planHost(config: ResolvedConfig, deployment: ResolvedSystemdDeployment, files: InstalledFile[]): InstallPlan {
  const prerequisites = [`The workerd binary at ${deployment.workerdPath}.`];
  if (deployment.user !== undefined) {
    prerequisites.push(
      `The system user ${deployment.user}, e.g. \`useradd --system --no-create-home --shell /usr/sbin/nologin ${deployment.user}\`.`,
    );
  }
  const start: string[] = [];
  if (deployment.instances > 1) {
    const sockets = Array.from({ length: deployment.instances }, (_, index) => `${deployment.unitName}@${index + 1}.socket`);
    start.push(`systemctl enable --now ${sockets.join(" ")}`);
  } else if (systemdSockets(config).length > 0) {
    start.push(`systemctl enable --now ${deployment.unitName}.socket`);
  }
  if (config.sockets.some((socket) => socket.activation === "workerd")) {
    start.push(`systemctl enable --now ${deployment.unitName}.service`);
  }
  return {
    target: deployment.target,
    prerequisites,
    files,
    steps: [
      {
        runAs: "root",
        description: "Install the files and start workerd.",
        commands: [mkdirCommand(files), ...files.map(installCommand), "systemctl daemon-reload", ...start],
      },
    ],
  };
}

/** Rootless Podman's user manager opens the sockets, so ports below 1024 need a lower sysctl limit. */
function unprivilegedPortPrerequisite(config: ResolvedConfig): string[] {
  const lowest = Math.min(...systemdSockets(config).map((socket) => socket.port));
  if (lowest >= 1024) {
    return [];
  }
  return [
    `Unprivileged users may open port ${lowest}: \`cat /proc/sys/net/ipv4/ip_unprivileged_port_start\` prints ${lowest} or less (as root: \`sysctl -w net.ipv4.ip_unprivileged_port_start=${lowest}\`, and the same line in /etc/sysctl.d/ to keep it).`,
  ];
}

function startUpstreams(config: ResolvedConfig, systemctl: string): string[] {
  const services = config.upstreams.filter((upstream) => upstream.container).map((upstream) => `${upstream.name}.service`);
  return services.length > 0 ? [`${systemctl} start ${services.join(" ")}`] : [];
}

/** `mkdir -p` for the parent directories of `files`, each once, in order. */
function mkdirCommand(files: readonly InstalledFile[]): string {
  const directories = [...new Set(files.map((file) => file.destination.slice(0, file.destination.lastIndexOf("/"))))];
  return `mkdir -p ${directories.map(shellPath).join(" ")}`;
}

function installCommand(file: InstalledFile): string {
  const owner = file.owner === undefined ? "" : ` -o ${file.owner.replace(":", " -g ")}`;
  return `install -m ${formatMode(file.mode)}${owner} ${shellQuote(file.source)} ${shellPath(file.destination)}`;
}

/** Quotes a destination for the shell, leaving a leading `~` or `~NAME` unquoted so that it expands. */
function shellPath(path: string): string {
  const tilde = /^~[a-z_][a-z0-9_-]*\$?(?=\/|$)|^~(?=\/|$)/.exec(path)?.[0] ?? "";
  return tilde + (path.length > tilde.length ? shellQuote(path.slice(tilde.length)) : "");
}


export function formatMode(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}
