/** Sockets bound straight to one upstream: checks, and workerd serving them without JavaScript. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { compile, type WorkerdComposeConfig } from "../compiler/index.js";
import { writeOutputTree } from "../compiler/write/index.js";
import {
  freePort,
  request,
  startEchoServer,
  startSocketActivated,
  waitForPort,
  workerdBinary,
  type EchoServer,
  type RunningProcess,
} from "./support/processes.js";

const scratch = mkdtempSync(path.join(tmpdir(), "workerd-compose-direct-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const today = new Date("2026-01-01T00:00:00Z");

function directConfig(upstreamAddress = "127.0.0.1:8080"): WorkerdComposeConfig {
  return {
    compatibilityDate: "2024-12-01",
    sockets: [
      { name: "http", port: 80 },
      { name: "fast", port: 8080, upstream: "whoami" },
    ],
    networks: [{ name: "mynet" }],
    upstreams: [{ name: "whoami", address: upstreamAddress }],
    routes: [{ host: "whoami.example.com", upstream: "whoami" }],
    forwarded: { xForwardedFor: false, xForwardedHost: false, xForwardedProto: false },
    deployment: { target: "quadlet", image: "localhost/workerd", network: "mynet" },
  };
}

describe("direct socket checks", () => {
  test("valid config reports its paths", () => {
    const result = compile(directConfig(), { today });
    assert.deepEqual(result.diagnostics, []);
    assert.deepEqual(result.socketPaths, [
      { socket: "http", kind: "worker", service: "proxy" },
      { socket: "fast", kind: "direct", service: "whoami" },
    ]);
    const capnp = result.files.find((file) => file.path === "workerd/config.capnp")!.contents as string;
    assert.match(capnp, /\(name = "fast", service = "whoami", http = \(\)\)/);
  });

  test("forwarding headers on are rejected", () => {
    const config = directConfig();
    delete config.forwarded;
    const [diagnostic, ...rest] = compile(config, { today }).diagnostics;
    assert.deepEqual(rest, []);
    assert.equal(diagnostic?.code, "direct-socket-needs-no-headers");
    assert.equal(diagnostic?.path, "sockets[1].upstream");
    assert.match(diagnostic!.message, /forwarded\.xForwardedFor, forwarded\.xForwardedHost, forwarded\.xForwardedProto are on/);
  });

  test("unknown upstream suggests a name", () => {
    const config = directConfig();
    config.sockets[1]!.upstream = "whoamy";
    const [diagnostic] = compile(config, { today }).diagnostics;
    assert.equal(diagnostic?.code, "unknown-upstream");
    assert.equal(diagnostic?.hint, 'Did you mean "whoami"?');
  });

  test("host header upstream is rejected", () => {
    const config = directConfig();
    config.upstreams[0]!.hostHeader = "internal.example";
    const codes = compile(config, { today }).diagnostics.map((diagnostic) => diagnostic.code);
    assert.deepEqual(codes, ["direct-socket-needs-plain-upstream"]);
  });

  test("network outbound is rejected", () => {
    const config = directConfig();
    config.outbound = { mode: "network", allow: ["127.0.0.1/32"] };
    const codes = compile(config, { today }).diagnostics.map((diagnostic) => diagnostic.code);
    assert.ok(codes.includes("direct-socket-needs-external"), codes.join(", "));
  });
});

describe("direct socket under workerd", () => {
  let upstream: EchoServer;
  let workerd: RunningProcess;
  let routedPort: number;
  let directPort: number;

  before(async () => {
    upstream = await startEchoServer("127.0.0.1");
    const result = compile(directConfig(`127.0.0.1:${upstream.port}`), { today });
    assert.deepEqual(result.diagnostics, []);
    const outDir = path.join(scratch, "direct");
    writeOutputTree(outDir, result.files);

    const exec = /^Exec=(.+)$/m.exec(readFileSync(path.join(outDir, "containers/systemd/workerd.container"), "utf8"))![1]!;
    assert.equal(exec, "serve --socket-fd http=3 --socket-fd fast=4 /etc/workerd/config.capnp");
    const args = exec.split(" ").map((arg) => arg.replace(/^\/etc\/workerd\//, `${outDir}/workerd/`));

    routedPort = await freePort();
    directPort = await freePort();
    workerd = startSocketActivated([`127.0.0.1:${routedPort}`, `127.0.0.1:${directPort}`], [workerdBinary, ...args]);
    await waitForPort("127.0.0.1", routedPort);
  });

  after(async () => {
    await workerd?.stop();
    await upstream?.close();
  });

  test("direct socket forwards any host", async () => {
    const response = await request({ host: "127.0.0.1", port: directPort, hostHeader: "anything.example" });
    assert.equal(response.status, 200, workerd.output());
    const echoed = JSON.parse(response.body);
    assert.equal(echoed.headers.host, "anything.example");
    assert.equal(echoed.headers["x-forwarded-for"], undefined);
  });

  test("routed socket still routes", async () => {
    const routed = await request({ host: "127.0.0.1", port: routedPort, hostHeader: "whoami.example.com" });
    assert.equal(routed.status, 200, workerd.output());
    const unmatched = await request({ host: "127.0.0.1", port: routedPort, hostHeader: "anything.example" });
    assert.equal(unmatched.status, 404);
  });
});
