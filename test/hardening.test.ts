/** Hardening profiles, the `hardening` changes and the checks of the `systemd` target. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  compile,
  type Diagnostic,
  type SystemdDeploymentConfig,
  type SystemdNsenterDeploymentConfig,
  type WorkerdComposeConfig,
} from "../compiler/index.js";
import { unitValues } from "./support/systemd.js";

const today = new Date("2026-01-01T00:00:00Z");

function hostConfig(deployment: Partial<SystemdDeploymentConfig> = {}): WorkerdComposeConfig {
  return {
    compatibilityDate: "2024-12-01",
    sockets: [{ name: "http", port: 80 }],
    upstreams: [
      { name: "app", address: "127.0.0.1:3000" },
      { name: "api", address: "[fd00::20]:8080" },
    ],
    routes: [
      { host: "app.example.com", upstream: "app" },
      { host: "api.example.com", upstream: "api" },
    ],
    deployment: { target: "systemd", ...deployment },
  };
}

function nsenterConfig(deployment: Partial<SystemdNsenterDeploymentConfig> = {}): WorkerdComposeConfig {
  return {
    compatibilityDate: "2024-12-01",
    sockets: [{ name: "http", port: 80 }],
    networks: [{ name: "mynet", subnet: "10.89.0.0/24" }],
    upstreams: [{ name: "whoami", container: { image: "docker.io/traefik/whoami", network: "mynet", ip: "10.89.0.10" } }],
    routes: [{ host: "whoami.example.com", upstream: "whoami" }],
    deployment: { target: "systemd-nsenter", user: "test", uid: 1000, ...deployment },
  };
}

/** Returns the text of the generated service, failing on any diagnostic. */
function serviceOf(config: WorkerdComposeConfig): string {
  const result = compile(config, { today });
  assert.deepEqual(result.diagnostics, []);
  return result.files.find((file) => file.path === "systemd/system/workerd.service")!.contents as string;
}

function diagnosticsOf(config: WorkerdComposeConfig): Diagnostic[] {
  return compile(config, { today }).diagnostics;
}

/** Returns the one diagnostic of `config`, failing when there are more or none. */
function only(config: WorkerdComposeConfig): Diagnostic {
  const diagnostics = diagnosticsOf(config);
  assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics, null, 2));
  return diagnostics[0]!;
}

describe("strict profile", () => {
  test("dynamic user without user field", () => {
    const service = serviceOf(hostConfig());
    assert.deepEqual(unitValues(service, "Service", "DynamicUser"), ["yes"]);
    assert.deepEqual(unitValues(service, "Service", "User"), []);
  });

  test("named user and group", () => {
    const service = serviceOf(hostConfig({ user: "workerd", group: "www-data" }));
    assert.deepEqual(unitValues(service, "Service", "User"), ["workerd"]);
    assert.deepEqual(unitValues(service, "Service", "Group"), ["www-data"]);
    assert.deepEqual(unitValues(service, "Service", "DynamicUser"), []);
  });

  test("sandbox directives of the strict set", () => {
    const service = serviceOf(hostConfig());
    const expected: [string, string[]][] = [
      ["Type", ["exec"]],
      ["ProtectSystem", ["strict"]],
      ["ProtectHome", ["yes"]],
      ["PrivateUsers", ["yes"]],
      ["RestrictNamespaces", ["yes"]],
      ["CapabilityBoundingSet", [""]],
      ["SystemCallFilter", ["@system-service", "~@privileged @resources"]],
      ["IPAddressDeny", ["any"]],
      ["IPAddressAllow", ["127.0.0.1", "fd00::20"]],
      ["PrivateNetwork", []],
      ["MemoryDenyWriteExecute", []],
    ];
    for (const [key, values] of expected) {
      assert.deepEqual(unitValues(service, "Service", key), values, key);
    }
  });

  test("pass-through allows the outbound ranges", () => {
    const config = hostConfig();
    config.upstreams.push({ name: "any", passThrough: true });
    config.routes.push({ host: "*.internal.example", upstream: "any" });
    config.outbound = { mode: "network", allow: ["127.0.0.1/32", "fd00::/64", "10.1.0.0/16"] };
    const service = serviceOf(config);
    assert.deepEqual(unitValues(service, "Service", "IPAddressAllow"), [
      "127.0.0.1",
      "fd00::20",
      "127.0.0.1/32",
      "fd00::/64",
      "10.1.0.0/16",
    ]);
  });

  test("IP filter off for workerd-bound public socket", () => {
    const config = hostConfig();
    config.sockets.push({ name: "direct", port: 8080, activation: "workerd" });
    const service = serviceOf(config);
    assert.deepEqual(unitValues(service, "Service", "IPAddressDeny"), []);
    assert.deepEqual(unitValues(service, "Service", "IPAddressAllow"), []);
  });
});

describe("nsenter profile", () => {
  test("sandbox directives nsenter works with", () => {
    const service = serviceOf(nsenterConfig());
    const expected: [string, string[]][] = [
      ["User", ["test"]],
      ["ProtectHome", ["read-only"]],
      ["PrivateUsers", []],
      ["PrivateNetwork", ["yes"]],
      ["RestrictNamespaces", ["user net"]],
      ["IPAddressAllow", ["10.89.0.0/24"]],
    ];
    for (const [key, values] of expected) {
      assert.deepEqual(unitValues(service, "Service", key), values, key);
    }
  });
});

describe("hardening changes", () => {
  test("set replaces, adds and lists", () => {
    const service = serviceOf(
      hostConfig({
        hardening: {
          set: { ProtectHome: "read-only", MemoryMax: "512M", ReadWritePaths: ["/var/cache/a", "/var/cache/b"] },
        },
      }),
    );
    assert.deepEqual(unitValues(service, "Service", "ProtectHome"), ["read-only"]);
    assert.deepEqual(unitValues(service, "Service", "MemoryMax"), ["512M"]);
    assert.deepEqual(unitValues(service, "Service", "ReadWritePaths"), ["/var/cache/a", "/var/cache/b"]);
  });

  test("remove drops a directive", () => {
    const service = serviceOf(hostConfig({ hardening: { remove: ["PrivateUsers", "IPAddressDeny"] } }));
    assert.deepEqual(unitValues(service, "Service", "PrivateUsers"), []);
    assert.deepEqual(unitValues(service, "Service", "IPAddressDeny"), []);
  });

  test("values are literal", () => {
    const service = serviceOf(hostConfig({ hardening: { set: { ReadOnlyPaths: "/srv/%h" } } }));
    assert.deepEqual(unitValues(service, "Service", "ReadOnlyPaths"), ["/srv/%%h"]);
  });

  // Each case: a change and the code and path of the one diagnostic it causes.
  const rejected: [name: string, config: WorkerdComposeConfig, code: string, path: string][] = [
    [
      "MemoryDenyWriteExecute breaks V8",
      hostConfig({ hardening: { set: { MemoryDenyWriteExecute: "yes" } } }),
      "breaks-workerd",
      "deployment.hardening.set.MemoryDenyWriteExecute",
    ],
    [
      "PrivateNetwork cuts off upstreams",
      hostConfig({ hardening: { set: { PrivateNetwork: "true" } } }),
      "breaks-workerd",
      "deployment.hardening.set.PrivateNetwork",
    ],
    [
      "Type is generated",
      hostConfig({ hardening: { set: { Type: "notify" } } }),
      "generated-directive",
      "deployment.hardening.set.Type",
    ],
    [
      "unknown directive",
      hostConfig({ hardening: { set: { ProtectHom: "yes" } } }),
      "unknown-directive",
      "deployment.hardening.set.ProtectHom",
    ],
    [
      "invalid enum value",
      hostConfig({ hardening: { set: { ProtectProc: "hidden" } } }),
      "invalid-directive-value",
      "deployment.hardening.set.ProtectProc",
    ],
    [
      "list for single-value directive",
      hostConfig({ hardening: { set: { MemoryMax: ["1G", "2G"] } } }),
      "invalid-directive-value",
      "deployment.hardening.set.MemoryMax",
    ],
    [
      "line break in a value",
      hostConfig({ hardening: { set: { ReadOnlyPaths: "/srv\nExecStartPre=/bin/sh" } } }),
      "invalid-directive-value",
      "deployment.hardening.set.ReadOnlyPaths",
    ],
    [
      "invalid IP access entry",
      hostConfig({ hardening: { set: { IPAddressAllow: "10.0.0.0/33" } } }),
      "invalid-directive-value",
      "deployment.hardening.set.IPAddressAllow",
    ],
    [
      "set and remove together",
      hostConfig({ hardening: { set: { PrivateTmp: "no" }, remove: ["PrivateTmp"] } }),
      "conflicting-hardening",
      "deployment.hardening.remove[0]",
    ],
    [
      "nsenter without user namespaces",
      nsenterConfig({ hardening: { set: { PrivateUsers: "yes" } } }),
      "breaks-workerd",
      "deployment.hardening.set.PrivateUsers",
    ],
    [
      "nsenter with hidden home",
      nsenterConfig({ hardening: { set: { ProtectHome: "yes" } } }),
      "breaks-workerd",
      "deployment.hardening.set.ProtectHome",
    ],
    [
      "nsenter without net namespaces",
      nsenterConfig({ hardening: { set: { RestrictNamespaces: "user" } } }),
      "breaks-workerd",
      "deployment.hardening.set.RestrictNamespaces",
    ],
  ];
  for (const [name, config, code, path] of rejected) {
    test(`${name} is rejected`, () => {
      const diagnostic = only(config);
      assert.equal(diagnostic.code, code);
      assert.equal(diagnostic.path, path);
      assert.equal(diagnostic.severity, "error");
    });
  }

  test("close directive name is suggested", () => {
    const diagnostic = only(hostConfig({ hardening: { set: { ProtectHom: "yes" } } }));
    assert.equal(diagnostic.hint, 'Did you mean "ProtectHome"?');
  });

  test("nsenter allows denying other namespaces", () => {
    const service = serviceOf(nsenterConfig({ hardening: { set: { RestrictNamespaces: "~mnt ipc" } } }));
    assert.deepEqual(unitValues(service, "Service", "RestrictNamespaces"), ["~mnt ipc"]);
  });

  test("removing an absent directive warns", () => {
    const result = compile(nsenterConfig({ hardening: { remove: ["PrivateUsers"] } }), { today });
    assert.equal(result.diagnostics.length, 1);
    assert.equal(result.diagnostics[0]!.code, "directive-not-in-profile");
    assert.equal(result.diagnostics[0]!.severity, "warning");
    assert.ok(result.files.length > 0, "a warning stopped the build");
  });

  test("IPAddressDeny with public workerd socket", () => {
    const config = hostConfig({ hardening: { set: { IPAddressDeny: "any" } } });
    config.sockets.push({ name: "direct", port: 8080, activation: "workerd" });
    const diagnostic = only(config);
    assert.equal(diagnostic.code, "breaks-workerd");
    assert.equal(diagnostic.path, "deployment.hardening.set.IPAddressDeny");
  });
});

describe("upstream addressed by name", () => {
  function namedUpstream(deployment: Partial<SystemdDeploymentConfig> = {}): WorkerdComposeConfig {
    const config = hostConfig(deployment);
    config.upstreams[1] = { name: "api", address: "api.internal:8080" };
    return config;
  }

  test("IP filter without its address is rejected", () => {
    const diagnostic = only(namedUpstream());
    assert.equal(diagnostic.code, "ip-filter-blocks-upstream");
    assert.equal(diagnostic.path, "upstreams[1].address");
    assert.match(diagnostic.hint ?? "", /IPAddressAllow/);
  });

  test("explicit allow list is accepted", () => {
    const service = serviceOf(namedUpstream({ hardening: { set: { IPAddressAllow: ["127.0.0.0/8", "10.1.0.0/16"] } } }));
    assert.deepEqual(unitValues(service, "Service", "IPAddressAllow"), ["127.0.0.0/8", "10.1.0.0/16"]);
  });

  test("removed IP filter is accepted", () => {
    const service = serviceOf(namedUpstream({ hardening: { remove: ["IPAddressDeny", "IPAddressAllow"] } }));
    assert.deepEqual(unitValues(service, "Service", "IPAddressDeny"), []);
  });
});

describe("systemd target checks", () => {
  test("workerd may bind high ports", () => {
    const config = hostConfig();
    config.sockets.push({ name: "direct", port: 8080, activation: "workerd" });
    assert.deepEqual(diagnosticsOf(config), []);
  });

  test("workerd may not bind low ports", () => {
    const config = hostConfig();
    config.sockets.push({ name: "direct", port: 443, activation: "workerd" });
    const diagnostic = only(config);
    assert.equal(diagnostic.code, "privileged-port");
    assert.equal(diagnostic.path, "sockets[1].port");
  });

  test("Podman targets keep rejecting workerd sockets", () => {
    const config = nsenterConfig();
    config.sockets.push({ name: "direct", port: 8080, activation: "workerd" });
    const diagnostic = only(config);
    assert.equal(diagnostic.code, "unsupported-activation");
    assert.equal(diagnostic.path, "sockets[1].activation");
  });

  test("directory with control character is rejected", () => {
    const diagnostic = only(hostConfig({ directory: "/etc/work\u0001erd" }));
    assert.equal(diagnostic.code, "invalid-path");
    assert.equal(diagnostic.path, "deployment.directory");
  });

  test("root user is rejected", () => {
    const diagnostic = only(hostConfig({ user: "root" }));
    assert.equal(diagnostic.code, "root-user");
    assert.equal(diagnostic.path, "deployment.user");
  });

  test("group needs user", () => {
    const diagnostic = only(hostConfig({ group: "www-data" }));
    assert.equal(diagnostic.code, "group-without-user");
    assert.equal(diagnostic.path, "deployment.group");
  });

  test("container upstream is rejected", () => {
    const config = hostConfig();
    config.upstreams[0] = { name: "app", address: "127.0.0.1:3000", container: { image: "app", network: "net" } };
    config.networks = [{ name: "net" }];
    const codes = diagnosticsOf(config).map((diagnostic) => [diagnostic.code, diagnostic.path, diagnostic.severity]);
    assert.deepEqual(codes, [
      ["address-mismatch", "upstreams[0].address", "error"],
      ["unsupported-container", "upstreams[0].container", "error"],
      ["unused-networks", "networks", "warning"],
    ]);
  });
});
