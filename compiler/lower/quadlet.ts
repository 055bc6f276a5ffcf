/**
 * Lowers the Podman side of a deployment to Quadlet files: the workerd
 * container of the `quadlet` target, one `.container` per upstream container
 * and one `.network` per network.
 */
import type {
  ResolvedConfig,
  ResolvedContainer,
  ResolvedNetwork,
  ResolvedQuadletDeployment,
} from "../config/resolved.js";
import { formatPath } from "../diagnostics.js";
import { UnitValue } from "../model/unit.js";
import { socketFdArguments, text, unit, type Entries, type NamedUnit } from "./units.js";
import { workerdServeFlags } from "./workerd.js";

/** Mount point of the config directory inside the workerd container. */
export const containerConfigDirectory = "/etc/workerd";

/**
 * Builds `NAME.container` for workerd. Quadlet turns it into `NAME.service`,
 * which `NAME.socket` activates because the base names match.
 */
export function lowerQuadletWorkerd(config: ResolvedConfig, deployment: ResolvedQuadletDeployment): NamedUnit {
  const upstreamServices = config.upstreams
    .filter((upstream) => upstream.container !== undefined)
    .map((upstream) => text(`${upstream.name}.service`));
  const socketUnit = text(`${deployment.unitName}.socket`);

  return {
    fileName: `${deployment.unitName}.container`,
    unit: unit(
      [
        "Unit",
        [
          ["Description", text("workerd reverse proxy")],
          ["AssertPathIsDirectory", UnitValue.pathWithHome(deployment.directory)],
          ["Requires", socketUnit],
          ["After", socketUnit],
          ...upstreamServices.flatMap((service): Entries => [
            ["Wants", service],
            ["After", service],
          ]),
        ],
      ],
      [
        "Container",
        [
          ["Image", text(deployment.image), "deployment.image"],
          ["Exec", UnitValue.command(["serve", ...workerdServeFlags(config), ...socketFdArguments(config), `${containerConfigDirectory}/config.capnp`])],
          ["Network", text(`${deployment.network}.network`), "deployment.network"],
          [
            "Volume",
            UnitValue.join([UnitValue.pathWithHome(`${deployment.directory}:${containerConfigDirectory}:ro,Z`)]),
          ],
          ["ReadOnly", text("true")],
          ["NoNewPrivileges", text("true")],
          ["DropCapability", text("all")],
        ],
      ],
    ),
  };
}

/**
 * Builds the `.container` file of an upstream's container, named after the upstream:
 * Quadlet turns `NAME.container` into `NAME.service`.
 */
export function lowerUpstreamContainer(
  container: ResolvedContainer,
  upstreamName: string,
  upstreamIndex: number,
): NamedUnit {
  const path = (key: string) => formatPath(["upstreams", upstreamIndex, "container", key]);
  const entries: Entries = [
    ["Image", text(container.image), path("image")],
    ["ContainerName", text(container.name)],
    ["Network", text(`${container.network}.network`), path("network")],
  ];
  if (container.ip !== undefined) {
    entries.push(["IP", text(container.ip), path("ip")]);
  }
  return {
    fileName: `${upstreamName}.container`,
    unit: unit(
      ["Unit", [["Description", text(`Upstream ${upstreamName} of the workerd reverse proxy`)]]],
      ["Container", entries],
      ["Install", [["WantedBy", text("default.target")]]],
    ),
  };
}

/**
 * Builds a `.network` file. `NetworkName=` pins Podman's name of the network to the
 * file's base name; without it Quadlet would call it `systemd-NAME`.
 */
export function lowerNetwork(network: ResolvedNetwork, networkIndex: number): NamedUnit {
  const entries: Entries = [["NetworkName", text(network.name)]];
  if (network.internal) {
    entries.push(["Internal", text("true"), formatPath(["networks", networkIndex, "internal"])]);
  }
  if (network.subnet !== undefined) {
    entries.push(["Subnet", text(network.subnet), formatPath(["networks", networkIndex, "subnet"])]);
  }
  return {
    fileName: `${network.name}.network`,
    unit: unit(["Unit", [["Description", text(`Podman network ${network.name}`)]]], ["Network", entries]),
  };
}

/** Builds the upstreams' `.container` files and the `.network` files, in config order. */
export function lowerPodmanUnits(config: ResolvedConfig): NamedUnit[] {
  return [
    ...config.upstreams.flatMap((upstream, index) =>
      upstream.container ? [lowerUpstreamContainer(upstream.container, upstream.name, index)] : [],
    ),
    ...config.networks.map(lowerNetwork),
  ];
}
