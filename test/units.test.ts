/**
 * The emitted units checked by systemd's own tools: `systemd-analyze verify`
 * must print nothing for every .service and .socket of every fixture,
 * installed where the install plan puts them, and `systemd-analyze security`
 * must rate the system services within their bounds.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { compile, type WorkerdComposeConfig } from "../compiler/index.js";
import { writeOutputTree } from "../compiler/write/index.js";
import {
  buildFixture,
  exposureScore,
  installScratch,
  unitValues,
  verifySystemUnits,
  verifyUserUnits,
  writeQuadletStandIns,
} from "./support/systemd.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), "workerd-compose-units-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Builds a fixture and installs it into a fresh scratch root and home; returns the paths involved. */
async function installFixture(name: string) {
  const base = mkdtempSync(path.join(scratch, `${name}-`));
  const outDir = path.join(base, "out");
  const systemRoot = path.join(base, "root");
  const home = path.join(base, "home");
  const result = await buildFixture(name, outDir);
  const plan = result.installPlan!;

  // A stub workerd binary wherever a service asserts one.
  const stubs = plan.files
    .filter((file) => file.source.endsWith(".service"))
    .flatMap((file) => unitValues(readFileSync(path.join(outDir, file.source), "utf8"), "Unit", "AssertFileIsExecutable"));
  const installed = installScratch(plan, outDir, systemRoot, home, stubs);
  const systemUnits = [...installed]
    .filter(([source]) => source.startsWith("systemd/system/"))
    .map(([, target]) => target);
  const userUnits = [...installed].filter(([source]) => source.startsWith("systemd/user/")).map(([, target]) => target);
  return { base, outDir, systemRoot, home, systemUnits, userUnits };
}

const fixtures = readdirSync(path.join(root, "fixtures"), { withFileTypes: true })
  .filter((entry) => existsSync(path.join(root, "fixtures", entry.name, "workerd-compose.config.ts")))
  .map((entry) => entry.name)
  .sort();

describe("systemd-analyze verify", () => {
  test("fixtures cover every target", () => {
    for (const name of ["example1", "example-nsenter", "host"]) {
      assert.ok(fixtures.includes(name), `fixtures/${name} is missing`);
    }
  });

  for (const name of fixtures) {
    test(`${name} units print nothing`, async () => {
      const { base, home, systemRoot, systemUnits, userUnits } = await installFixture(name);
      if (systemUnits.length > 0) {
        assert.equal(verifySystemUnits(systemRoot, systemUnits), "", "system units");
      }

      const standIns = writeQuadletStandIns(
        path.join(home, ".config/containers/systemd"),
        path.join(home, ".config/systemd/user"),
        path.join(base, "bin/podman"),
      );
      if (userUnits.length + standIns.length > 0) {
        assert.equal(verifyUserUnits(home, path.join(base, "runtime"), [...userUnits, ...standIns]), "", "user units");
      }
      assert.ok(systemUnits.length + userUnits.length + standIns.length > 0, "no unit was installed");
    });
  }

  test("socket without its service is reported", async () => {
    // The checks above prove something only if verify reads the units: without
    // the stand-in for the service Quadlet generates, the socket has nothing to start.
    const { base, home, userUnits } = await installFixture("example1");
    const output = verifyUserUnits(home, path.join(base, "runtime"), userUnits);
    assert.match(output, /workerd\.service not loaded/);
  });

  test("hardening changes print nothing", () => {
    const config: WorkerdComposeConfig = {
      compatibilityDate: "2024-12-01",
      sockets: [
        { name: "http", port: 80 },
        { name: "local", port: 9090, address: "127.0.0.1", activation: "workerd" },
      ],
      upstreams: [{ name: "app", address: "127.0.0.1:3000" }],
      routes: [{ host: "app.example.com", upstream: "app" }],
      deployment: {
        target: "systemd",
        user: "workerd",
        group: "nogroup",
        hardening: {
          set: {
            ReadOnlyPaths: ["/srv/a", "/srv/50%"],
            SystemCallFilter: ["@system-service", "~@privileged @resources @mount"],
            MemoryMax: "256M",
            TasksMax: "64",
            LimitNOFILE: "65536",
            ProtectHome: "tmpfs",
            CapabilityBoundingSet: "",
          },
          remove: ["PrivateUsers", "KeyringMode"],
        },
      },
    };
    const result = compile(config);
    assert.deepEqual(result.diagnostics, []);

    const base = mkdtempSync(path.join(scratch, "hardening-"));
    writeOutputTree(path.join(base, "out"), result.files);
    const installed = installScratch(result.installPlan!, path.join(base, "out"), path.join(base, "root"), base, [
      "/usr/local/bin/workerd",
    ]);

    const service = installed.get("systemd/system/workerd.service")!;
    const text = readFileSync(service, "utf8");
    assert.match(text, /^ReadOnlyPaths=\/srv\/a$/m);
    assert.match(text, /^ReadOnlyPaths=\/srv\/50%%$/m);
    assert.doesNotMatch(text, /^PrivateUsers=/m);
    assert.equal(verifySystemUnits(path.join(base, "root"), [service, installed.get("systemd/system/workerd.socket")!]), "");
  });
});

describe("systemd-analyze security", () => {
  const bounds: [fixture: string, maximum: number][] = [
    ["host", 0.9],
    ["example-nsenter", 1.2],
  ];
  for (const [name, maximum] of bounds) {
    test(`${name} service scores at most ${maximum}`, async (context) => {
      const outDir = path.join(scratch, `security-${name}`);
      await buildFixture(name, outDir);
      const score = exposureScore(path.join(outDir, "systemd/system/workerd.service"));
      context.diagnostic(`overall exposure of ${name}: ${score}`);
      assert.ok(score <= maximum, `exposure ${score} is above ${maximum}`);
    });
  }
});

describe("socket unit", () => {
  const config: WorkerdComposeConfig = {
    compatibilityDate: "2024-12-01",
    sockets: [
      { name: "web", port: 80 },
      { name: "admin", port: 9443, address: "127.0.0.1", activation: "workerd" },
      { name: "internal", port: 8081, address: "127.0.0.1" },
      { name: "v6", port: 8443, address: "::1" },
    ],
    upstreams: [{ name: "app", address: "127.0.0.1:3000" }],
    routes: [{ host: "app.example.com", upstream: "app" }],
    deployment: { target: "systemd" },
  };

  function unitText(path: string): string {
    const result = compile(config);
    assert.deepEqual(result.diagnostics, []);
    return result.files.find((file) => file.path === path)!.contents as string;
  }

  test("listeners follow --socket-fd order", () => {
    const socket = unitText("systemd/system/workerd.socket");
    const execStart = unitValues(unitText("systemd/system/workerd.service"), "Service", "ExecStart")[0]!;
    assert.deepEqual(unitValues(socket, "Socket", "ListenStream"), ["80", "127.0.0.1:8081", "[::1]:8443"]);
    assert.deepEqual(
      [...execStart.matchAll(/--socket-fd (\S+)/g)].map((match) => match[1]),
      ["web=3", "internal=4", "v6=5"],
    );
  });

  test("one unit, dual-stack, no Accept", () => {
    const result = compile(config);
    assert.equal(result.files.filter((file) => file.path.endsWith(".socket")).length, 1);
    const socket = unitText("systemd/system/workerd.socket");
    assert.deepEqual(unitValues(socket, "Socket", "BindIPv6Only"), ["both"]);
    assert.deepEqual(unitValues(socket, "Socket", "Accept"), []);
  });

  test("workerd-bound socket starts service at boot", () => {
    const service = unitText("systemd/system/workerd.service");
    assert.deepEqual(unitValues(service, "Install", "WantedBy"), ["multi-user.target"]);
    assert.deepEqual(unitValues(service, "Unit", "Wants"), ["network-online.target"]);
    // The loopback socket keeps the IP filter on, with localhost allowed for its clients.
    assert.deepEqual(unitValues(service, "Service", "IPAddressAllow"), ["localhost", "127.0.0.1"]);
    assert.match(unitText("workerd/config.capnp"), /name = "admin",.* address = "127\.0\.0\.1:9443"/);
  });

  test("no socket unit without systemd sockets", () => {
    const result = compile({
      ...config,
      sockets: [{ name: "admin", port: 9443, address: "127.0.0.1", activation: "workerd" as const }],
    });
    assert.deepEqual(result.diagnostics, []);
    assert.ok(!result.files.some((file) => file.path.endsWith(".socket")));
    const service = result.files.find((file) => file.path === "systemd/system/workerd.service")!.contents as string;
    assert.deepEqual(unitValues(service, "Unit", "Requires"), []);
    assert.doesNotMatch(unitValues(service, "Service", "ExecStart")[0]!, /--socket-fd/);
  });
});

describe("systemd-nsenter service", () => {
  test("has no defect of the hand-written one", async () => {
    const outDir = path.join(scratch, "nsenter-defects");
    await buildFixture("example-nsenter", outDir);
    const service = readFileSync(path.join(outDir, "systemd/system/workerd.service"), "utf8");
    assert.equal(service.match(/^\[Unit\]$/gm)?.length, 1);
    assert.doesNotMatch(service, /XDG_RUNTIME_DIR|bash -c|CAP_SYS_BOOT|PAMName/);
    assert.match(service, /^AssertFileIsExecutable=\/usr\/local\/bin\/workerd$/m);
    assert.match(service, /^Type=exec$/m);

    const script = readFileSync(path.join(outDir, "workerd/workerd-nsenter.sh"), "utf8");
    assert.match(script, /^runtime_dir=\/run\/user\/1000$/m);
    assert.doesNotMatch(script, /--mount/);
    assert.match(script, /\/var\/srv\/workerd\/config\.capnp$/m);
  });
});
