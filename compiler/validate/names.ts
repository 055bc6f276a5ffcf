/**
 * Names that are distinct as the user wrote them but collide once the
 * compiler derives other names from them: systemd unit names, Podman
 * container names and Cap'n Proto identifiers.
 */
import type { WorkerdComposeConfig } from "../config/types.js";
import { formatPath, quote } from "../diagnostics.js";
import { toCapnpIdentifier } from "../util/identifier.js";
import type { Report } from "./report.js";

interface DerivedName {
  /** The derived name, compared as it is or case-folded, depending on the check. */
  name: string;
  /** Config path of the value the name is derived from. */
  path: string;
  /** Owner of the name, as the message describes it. */
  owner: string;
}

/**
 * Reports units that would get the same name. Quadlet turns `NAME.container`
 * into `NAME.service` and `NAME.network` into `NAME-network.service`, so an
 * upstream called `mynet-network` collides with the network `mynet`, and an
 * upstream called `workerd` with the workerd container of a quadlet
 * deployment. Units of the Podman user and system units are separate scopes.
 */
export function checkUnitNames(config: WorkerdComposeConfig, report: Report): void {
  const deployment = config.deployment;
  const unitName = deployment.unitName ?? "workerd";
  const podmanUserUnits: DerivedName[] = [];
  if (deployment.target === "quadlet") {
    podmanUserUnits.push(
      { name: `${unitName}.service`, path: "deployment.unitName", owner: "the workerd container" },
      { name: `${unitName}.socket`, path: "deployment.unitName", owner: "the workerd socket" },
    );
  }
  const networkNames = new Set<string>();
  (config.networks ?? []).forEach((network, index) => {
    if (networkNames.has(network.name)) {
      return; // reported as a duplicate name
    }
    networkNames.add(network.name);
    podmanUserUnits.push({
      name: `${network.name}-network.service`,
      path: formatPath(["networks", index, "name"]),
      owner: `network ${quote(network.name)}`,
    });
  });
  // An upstream name used twice is reported as a duplicate name, not again here.
  forEachFirstUpstream(config, (upstream, index) => {
    if (upstream.container !== undefined) {
      podmanUserUnits.push({
        name: `${upstream.name}.service`,
        path: formatPath(["upstreams", index, "name"]),
        owner: `the container of upstream ${quote(upstream.name)}`,
      });
    }
  });

  reportCollisions(podmanUserUnits, (name) => name, (later, earlier) =>
    report({
      code: "unit-name-conflict",
      path: later.path,
      message: `${capitalise(later.owner)} would be the unit ${later.name}, which is already ${earlier.owner} (${earlier.path}).`,
      received: later.name,
      expected: "a name that gives a unit of its own",
      hint: `Rename one of them; the unit names come from ${earlier.path} and ${later.path}.`,
    }),
  );
}

/**
 * Reports containers with the same name. Names are compared without regard
 * to case, because Podman's DNS resolves them as host names, and DNS compares
 * names without regard to case (RFC 4343). A quadlet deployment's own
 * container is `systemd-UNITNAME`, Quadlet's default `ContainerName=`.
 */
export function checkContainerNames(config: WorkerdComposeConfig, report: Report): void {
  const containers: DerivedName[] = [];
  if (config.deployment.target === "quadlet") {
    containers.push({
      name: `systemd-${config.deployment.unitName ?? "workerd"}`,
      path: "deployment.unitName",
      owner: "the workerd container",
    });
  }
  forEachFirstUpstream(config, (upstream, index) => {
    if (upstream.container !== undefined) {
      const explicit = upstream.container.name !== undefined;
      containers.push({
        name: upstream.container.name ?? upstream.name,
        path: formatPath(["upstreams", index, ...(explicit ? ["container", "name"] : ["name"])]),
        owner: `the container of upstream ${quote(upstream.name)}`,
      });
    }
  });

  reportCollisions(containers, (name) => name.toLowerCase(), (later, earlier) =>
    report({
      code: "duplicate-name",
      path: later.path,
      message: `Container name ${quote(later.name)} is already used by ${earlier.owner} (${earlier.path})${later.name === earlier.name ? "" : ", and DNS names ignore case"}.`,
      received: later.name,
      expected: "a container name used once",
    }),
  );
}

/**
 * Warns when upstream names become the same Cap'n Proto identifier. In the
 * `external` outbound mode each upstream is a service whose constant in
 * config.capnp is named after it. The printer appends 2, 3, … to later
 * repeats, so the file stays valid, but the constants no longer show which
 * upstream they belong to.
 */
export function checkIdentifierCollisions(config: WorkerdComposeConfig, report: Report): void {
  if (config.outbound?.mode === "network") {
    return;
  }
  const identifiers = config.upstreams.map(
    (upstream, index): DerivedName => ({
      name: toCapnpIdentifier(upstream.name),
      path: formatPath(["upstreams", index, "name"]),
      owner: `upstream ${quote(upstream.name)}`,
    }),
  );
  const originals = new Map(config.upstreams.map((upstream, index) => [identifiers[index]!.path, upstream.name]));

  reportCollisions(identifiers, (name) => name, (later, earlier) => {
    if (originals.get(later.path) === originals.get(earlier.path)) {
      return; // the same name twice is reported as a duplicate name
    }
    report({
      severity: "warning",
      code: "identifier-collision",
      path: later.path,
      message: `Upstream names ${quote(originals.get(earlier.path))} (${earlier.path}) and ${quote(originals.get(later.path))} both become the Cap'n Proto identifier ${quote(later.name)}, so config.capnp numbers the later one.`,
      received: originals.get(later.path),
      expected: "an upstream name that differs from the others in more than case and punctuation",
    });
  });
}

function reportCollisions(
  names: readonly DerivedName[],
  key: (name: string) => string,
  onCollision: (later: DerivedName, earlier: DerivedName) => void,
): void {
  const seen = new Map<string, DerivedName>();
  for (const derived of names) {
    const earlier = seen.get(key(derived.name));
    if (earlier === undefined) {
      seen.set(key(derived.name), derived);
    } else {
      onCollision(derived, earlier);
    }
  }
}

function forEachFirstUpstream(
  config: WorkerdComposeConfig,
  visit: (upstream: WorkerdComposeConfig["upstreams"][number], index: number) => void,
): void {
  const seen = new Set<string>();
  config.upstreams.forEach((upstream, index) => {
    if (!seen.has(upstream.name)) {
      seen.add(upstream.name);
      visit(upstream, index);
    }
  });
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
