/** Quadlet files: keys checked against the target Podman release, and names that agree across files. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { compile, type Diagnostic, type WorkerdComposeConfig } from "../compiler/index.js";
import quadletKeys from "../compiler/data/quadlet-keys.json" with { type: "json" };
import { resolveConfig } from "../compiler/resolve/index.js";
import { lowerPodmanUnits, lowerQuadletWorkerd } from "../compiler/lower/quadlet.js";
import { lowerToWorkerdConfig } from "../compiler/lower/workerd.js";
import { UnitValue } from "../compiler/model/unit.js";
import { checkQuadletKeys, findNameMismatches, requiredPodmanRelease } from "../compiler/validate/quadlet.js";
import { unit, type NamedUnit } from "../compiler/lower/units.js";

const today = new Date("2026-01-01T00:00:00Z");

function quadletConfig(podmanVersion?: string): WorkerdComposeConfig {
  return {
    compatibilityDate: "2024-12-01",
    sockets: [{ name: "http", port: 80 }],
    networks: [{ name: "mynet", subnet: "10.89.0.0/24" }],
    upstreams: [
      {
        name: "whoami",
        container: { image: "docker.io/traefik/whoami", name: "whoami.example.com", network: "mynet", ip: "10.89.0.10" },
      },
    ],
    routes: [{ host: "whoami.example.com", upstream: "whoami" }],
    deployment: {
      target: "quadlet",
      image: "localhost/workerd",
      network: "mynet",
      ...(podmanVersion === undefined ? {} : { podmanVersion }),
    },
  };
}

function diagnosticsOf(config: WorkerdComposeConfig): Diagnostic[] {
  return compile(config, { today }).diagnostics;
}

describe("Quadlet key table", () => {
  test("every key has a release", () => {
    for (const [section, keys] of Object.entries(quadletKeys)) {
      for (const [key, release] of Object.entries(keys)) {
        if (release === "HEAD") {
          continue; // on Podman's main branch, in no release yet
        }
        assert.match(release, /^\d+\.\d+\.\d+$/, `${section}.${key}`);
        assert.ok(Number(release.split(".")[0]) >= 4, `${section}.${key} predates Quadlet`);
      }
    }
  });

  test("knows the keys the compiler emits", () => {
    assert.equal(quadletKeys.Container.ContainerName, "4.4.0");
    assert.equal(quadletKeys.Network.NetworkName, "4.7.0");
    assert.equal(quadletKeys.Container.IP, "4.5.0");
  });
});

describe("podmanVersion", () => {
  test("default release accepts every emitted key", () => {
    assert.deepEqual(diagnosticsOf(quadletConfig()), []);
  });

  test("keys newer than the target are errors", () => {
    const diagnostics = diagnosticsOf(quadletConfig("4.4"));
    assert.deepEqual(
      diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.path, diagnostic.expected]),
      [
        ["quadlet-key-too-new", "upstreams[0].container.ip", "Podman 4.5 or later"],
        ["quadlet-key-too-new", "deployment.podmanVersion", "Podman 4.7 or later"],
      ],
    );
    assert.match(diagnostics[1]!.message, /^mynet\.network: \[Network\] NetworkName= needs Podman 4\.7/);
    assert.match(diagnostics[1]!.hint ?? "", /podmanVersion to "4\.7"/);
  });

  test("errors leave no files", () => {
    const result = compile(quadletConfig("4.6"), { today });
    assert.equal(result.diagnostics.length, 1);
    assert.deepEqual(result.files, []);
    assert.equal(result.installPlan, undefined);
  });

  test("Image naming a .image unit needs 4.8", () => {
    const config = quadletConfig("4.7");
    config.upstreams[0]!.container!.image = "whoami.image";
    const diagnostics = diagnosticsOf(config);
    assert.deepEqual(
      diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.path]),
      [["quadlet-value-too-new", "upstreams[0].container.image"]],
    );
  });

  test("Image naming a .build unit needs 5.2", () => {
    const config = quadletConfig("5.1");
    (config.deployment as { image: string }).image = "workerd.build";
    const diagnostics = diagnosticsOf(config);
    assert.deepEqual(
      diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.path]),
      [["quadlet-value-too-new", "deployment.image"]],
    );
    assert.deepEqual(diagnosticsOf(quadletConfig("5.2")), []);
  });

  test("release without Quadlet is rejected", () => {
    const diagnostics = diagnosticsOf(quadletConfig("4.3"));
    assert.deepEqual(
      diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.path]),
      [["unsupported-podman-version", "deployment.podmanVersion"]],
    );
  });

  test("image with control character is rejected", () => {
    for (const image of ["whoami\nExec=sh", "who\u0001ami", "who ami"]) {
      const config = quadletConfig();
      config.upstreams[0]!.container!.image = image;
      const diagnostics = diagnosticsOf(config);
      assert.deepEqual(
        diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.path]),
        [["invalid-format", "upstreams[0].container.image"]],
        JSON.stringify(image),
      );
    }
  });

  test("malformed release is a schema error", () => {
    const diagnostics = diagnosticsOf(quadletConfig("five"));
    assert.deepEqual(
      diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.path]),
      [["invalid-format", "deployment.podmanVersion"]],
    );
  });

  test("unreleased key is an error", () => {
    const units = lowerPodmanUnits(resolveConfig(quadletConfig()));
    units.push({
      fileName: "data.volume",
      unit: { listKeys: new Set(), sections: [{ name: "Volume", entries: [{ key: "UID", value: UnitValue.literal("1000") }] }] },
    });
    const diagnostics = checkQuadletKeys(units, "5.8");
    assert.deepEqual(
      diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.received]),
      [["unknown-quadlet-key", "UID"]],
    );
  });

  test("unknown key is an error", () => {
    const units = lowerPodmanUnits(resolveConfig(quadletConfig()));
    units[0]!.unit.sections[1]!.entries.push({ key: "HostName", value: UnitValue.literal("x") });
    units[0]!.unit.sections[1]!.entries.push({ key: "ImageTag", value: UnitValue.literal("x") });
    const diagnostics = checkQuadletKeys(units, "5.4");
    assert.deepEqual(
      diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.received]),
      [["unknown-quadlet-key", "ImageTag"]],
    );
    assert.match(diagnostics[0]!.message, /^whoami\.container: \[Container\] ImageTag= is not a Quadlet key/);
  });

  test("Notify=healthy needs 5.0", () => {
    const units = lowerPodmanUnits(resolveConfig(quadletConfig()));
    units[0]!.unit.sections[1]!.entries.push({ key: "Notify", value: UnitValue.literal("healthy") });
    assert.deepEqual(
      checkQuadletKeys(units, "4.9").map((diagnostic) => diagnostic.code),
      ["quadlet-value-too-new"],
    );
    assert.deepEqual(checkQuadletKeys(units, "5.0"), []);
  });
});

describe("names across files", () => {
  function generated(config: WorkerdComposeConfig) {
    const resolved = resolveConfig(config);
    if (resolved.deployment.target !== "quadlet") {
      throw new Error("a quadlet config was expected");
    }
    const units = [...lowerPodmanUnits(resolved), lowerQuadletWorkerd(resolved, resolved.deployment)];
    return { resolved, units, workerd: lowerToWorkerdConfig(resolved) };
  }

  test("generated files agree", () => {
    const { resolved, units, workerd } = generated(quadletConfig());
    assert.deepEqual(findNameMismatches(resolved, units, workerd), []);
  });

  test("network file renamed is found", () => {
    const { resolved, units, workerd } = generated(quadletConfig());
    units.find((named) => named.fileName === "mynet.network")!.fileName = "mynet.net";
    assert.deepEqual(findNameMismatches(resolved, units, workerd), [
      "whoami.container joins Network=mynet.network, but no such file is generated",
      "workerd.container joins Network=mynet.network, but no such file is generated",
    ]);
  });

  test("network name unlike file name is found", () => {
    const { resolved, units, workerd } = generated(quadletConfig());
    const network = units.find((named) => named.fileName === "mynet.network")!;
    network.unit.sections[1]!.entries[0]!.value = UnitValue.literal("systemd-mynet");
    assert.deepEqual(findNameMismatches(resolved, units, workerd), [
      "mynet.network sets NetworkName=systemd-mynet, not its base name mynet",
    ]);
  });

  test("container name and address are compared", () => {
    const { resolved, units, workerd } = generated(quadletConfig());
    const service = workerd.services!.find((candidate) => candidate.name === "whoami")!;
    service.external!.address = "whoami:80";
    const entries = units[0]!.unit.sections[1]!.entries;
    entries.find((entry) => entry.key === "ContainerName")!.value = UnitValue.literal("whoami");
    assert.deepEqual(findNameMismatches(resolved, units, workerd), [
      "whoami.container names its container whoami, not whoami.example.com",
      "config.capnp sends whoami to whoami:80, not whoami.example.com:80",
    ]);
  });

  test("upstream on another network is rejected", () => {
    const config = quadletConfig();
    config.networks!.push({ name: "other" });
    config.upstreams[0]!.container!.network = "other";
    delete config.upstreams[0]!.container!.ip;
    const diagnostics = diagnosticsOf(config);
    assert.deepEqual(
      diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.path]),
      [["network-mismatch", "upstreams[0].container.network"]],
    );
  });

  test("address must point at the container", () => {
    const config = quadletConfig();
    config.upstreams[0]!.address = "whoami:80";
    const diagnostics = diagnosticsOf(config);
    assert.deepEqual(
      diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.path, diagnostic.expected]),
      [["address-mismatch", "upstreams[0].address", '"whoami.example.com:80" or "10.89.0.10:80"']],
    );
  });

  test("address naming the container is accepted", () => {
    const config = quadletConfig();
    config.upstreams[0]!.address = "WHOAMI.example.com:80";
    assert.deepEqual(diagnosticsOf(config), []);
  });
});

describe("requiredPodmanRelease", () => {
  const quadletUnit = (section: string, entries: [string, string][]): NamedUnit => ({
    fileName: "x.container",
    unit: unit([section, entries.map(([key, value]): [string, UnitValue] => [key, UnitValue.literal(value)])]),
  });

  test("first Quadlet release without keys", () => {
    assert.equal(requiredPodmanRelease([]), "4.4");
  });

  test("newest key decides", () => {
    const units = [
      quadletUnit("Container", [["Image", "docker.io/traefik/whoami"]]),
      quadletUnit("Network", [["NetworkName", "mynet"]]),
    ];
    assert.equal(requiredPodmanRelease(units), "4.7");
  });

  test("value gate raises it", () => {
    assert.equal(requiredPodmanRelease([quadletUnit("Container", [["Image", "app.build"]])]), "5.2");
  });

  test("systemd sections do not count", () => {
    assert.equal(requiredPodmanRelease([quadletUnit("Unit", [["Description", "x"]])]), "4.4");
  });
});
