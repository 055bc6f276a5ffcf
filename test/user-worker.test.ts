/**
 * Routes to the user's own worker: bundled with esbuild, embedded and served
 * by the real workerd next to an upstream, with both outbound modes.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { build, compile, DevServer, type WorkerdComposeConfig } from "../compiler/index.js";
import { request, startEchoServer, type EchoServer } from "./support/processes.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const fixtureDir = path.join(root, "fixtures/user-worker");
const scratch = mkdtempSync(path.join(tmpdir(), "workerd-compose-user-worker-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const today = new Date("2026-01-01T00:00:00Z");

/** Returns the fixture's config with the upstream on a loopback echo server and the given outbound. */
function loopbackConfig(echoPort: number, mode: "external" | "network"): WorkerdComposeConfig {
  return {
    compatibilityDate: "2024-12-01",
    sockets: [{ name: "http", port: 80 }],
    networks: [{ name: "mynet" }],
    upstreams: [{ name: "whoami", address: `127.0.0.1:${echoPort}` }],
    workers: [{ name: "api", main: "src/api.ts", bindings: [{ name: "SERVICE_NAME", text: "api" }] }],
    routes: [
      { host: "whoami.example.com", upstream: "whoami" },
      { host: "api.example.com", worker: "api" },
    ],
    ...(mode === "network" ? { outbound: { mode: "network" as const, allow: ["127.0.0.1/32"] } } : {}),
    deployment: { target: "quadlet", image: "localhost/workerd", network: "mynet" },
  };
}

for (const mode of ["external", "network"] as const) {
  describe(`user worker with ${mode} outbound`, () => {
    let echo: EchoServer;
    let server: DevServer;
    let port: number;

    before(async () => {
      echo = await startEchoServer();
      const directory = path.join(scratch, mode);
      cpSync(path.join(fixtureDir, "src"), path.join(directory, "src"), { recursive: true });
      const config = path.join(directory, "workerd-compose.config.json");
      writeFileSync(config, JSON.stringify(loopbackConfig(echo.port, mode), null, 2));
      server = new DevServer({ config, stdio: "pipe" });
      const outcome = await server.start();
      assert.ok(outcome.ok, JSON.stringify(outcome, null, 2));
      port = outcome.sockets[0]!.port;
    });

    after(async () => {
      await server?.close();
      await echo?.close();
    });

    test("route reaches the bundled worker", async () => {
      const response = await request({ host: "127.0.0.1", port, hostHeader: "api.example.com", path: "/v1/items" });
      assert.equal(response.status, 200, server.collectedOutput);
      assert.deepEqual(JSON.parse(response.body), {
        message: "hello api from a user worker",
        path: "/v1/items",
        forwardedHost: "api.example.com",
      });
      assert.equal(echo.received.length, 0, "the upstream received the worker's request");
    });

    test("other route still reaches upstream", async () => {
      const response = await request({ host: "127.0.0.1", port, hostHeader: "whoami.example.com", path: "/up" });
      assert.equal(response.status, 200, server.collectedOutput);
      assert.equal(JSON.parse(response.body).url, "/up");
    });
  });
}

describe("user worker build", () => {
  test("bundle is embedded in config.capnp", async () => {
    const outDir = path.join(scratch, "build");
    const result = await build({ config: path.join(fixtureDir, "workerd-compose.config.ts"), outDir });
    assert.deepEqual(result.diagnostics, []);
    const bundle = readFileSync(path.join(outDir, "workerd/workers/api.js"), "utf8");
    assert.match(bundle, /function greeting\(name\)/, "the helper module was not inlined");
    assert.doesNotMatch(bundle, /: string/, "TypeScript types were left in the bundle");
    const capnp = readFileSync(path.join(outDir, "workerd/config.capnp"), "utf8");
    assert.match(capnp, /\(name = "api\.js", esModule = embed "workers\/api\.js"\)/);
    assert.match(capnp, /\(name = "api", service = "api"\)/);
  });

  test("syntax error is a diagnostic", async () => {
    const directory = path.join(scratch, "broken");
    cpSync(fixtureDir, directory, { recursive: true });
    writeFileSync(path.join(directory, "src/greeting.ts"), "export function greeting( {\n");
    const result = await build({ config: path.join(directory, "workerd-compose.config.ts"), outDir: path.join(directory, "out") });
    assert.equal(result.diagnostics.length, 1, JSON.stringify(result.diagnostics));
    const diagnostic = result.diagnostics[0]!;
    assert.equal(diagnostic.code, "worker-bundle-failed");
    assert.equal(diagnostic.path, "workers[0].main");
    assert.match(diagnostic.message, /src\/greeting\.ts:\d+:\d+: Expected identifier/);
  });
});

describe("user worker router", () => {
  // Names of every length around the 80-column limit of the workers set.
  test("network handler is prettier-formatted", async () => {
    const prettier = await import("prettier");
    for (let length = 1; length <= 40; length++) {
      const config = loopbackConfig(80, "network");
      const names = ["a", "b"].map((letter) => letter.repeat(length));
      config.workers = names.map((name) => ({ name, main: "src/api.ts" }));
      config.routes = names.map((name) => ({ host: `${name}.example.com`, worker: name }));
      const result = compile(config, { today, bundleWorker: () => "export default {}" });
      assert.deepEqual(result.diagnostics, []);
      const fetchJs = result.files.find((file) => file.path === "workerd/fetch.js")!.contents as string;
      assert.equal(await prettier.format(fetchJs, { parser: "babel" }), fetchJs, `length ${length}`);
    }
  });
});

describe("user worker diagnostics", () => {
  const errorsOf = (config: WorkerdComposeConfig) =>
    compile(config, { today, bundleWorker: () => "export default {}" }).diagnostics;

  test("route with both targets", () => {
    const config = loopbackConfig(80, "external");
    config.routes[1] = { host: "api.example.com", worker: "api", upstream: "whoami" };
    const [diagnostic, ...rest] = errorsOf(config);
    assert.deepEqual(rest, []);
    assert.equal(diagnostic?.code, "invalid-route-target");
    assert.equal(diagnostic?.path, "routes[1]");
  });

  test("route with neither target", () => {
    const config = loopbackConfig(80, "external");
    config.routes[1] = { host: "api.example.com" };
    assert.equal(errorsOf(config)[0]?.code, "invalid-route-target");
  });

  test("unknown worker suggests close name", () => {
    const config = loopbackConfig(80, "external");
    config.routes[1] = { host: "api.example.com", worker: "apy" };
    const diagnostic = errorsOf(config)[0];
    assert.equal(diagnostic?.code, "unknown-worker");
    assert.equal(diagnostic?.hint, 'Did you mean "api"?');
  });

  test("worker named like an upstream", () => {
    const config = loopbackConfig(80, "external");
    config.workers![0]!.name = "whoami";
    config.routes[1] = { host: "api.example.com", worker: "whoami" };
    const codes = errorsOf(config).map((diagnostic) => `${diagnostic.code} ${diagnostic.path}`);
    assert.deepEqual(codes, ["reserved-name workers[0].name"]);
  });

  test("binding with two kinds", () => {
    const config = loopbackConfig(80, "external");
    config.workers![0]!.bindings = [{ name: "X", text: "a", json: "1" }];
    const diagnostic = errorsOf(config)[0];
    assert.equal(diagnostic?.code, "union-conflict");
    assert.equal(diagnostic?.path, "workers[0].bindings[0].json");
  });

  test("no bundler gives a diagnostic", () => {
    const diagnostic = compile(loopbackConfig(80, "external"), { today }).diagnostics[0];
    assert.equal(diagnostic?.code, "worker-bundle-failed");
  });
});
