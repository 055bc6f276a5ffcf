/**
 * Several workerd instances on one port: the template units' command line
 * started twice with SO_REUSEPORT listeners, as the `ReusePort=yes` socket
 * units do, and the kernel spreading connections over both.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { build, compile } from "../compiler/index.js";
import {
  freePort,
  request,
  startEchoServer,
  startProcess,
  waitForPort,
  workerdBinary,
  type EchoServer,
  type RunningProcess,
} from "./support/processes.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const launcher = fileURLToPath(new URL("./support/reuseport-activate.py", import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), "workerd-compose-instances-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe("two instances on one port", () => {
  // One upstream per instance, so that each response shows which instance served it.
  const upstreams: EchoServer[] = [];
  const instances: RunningProcess[] = [];
  let port: number;

  before(async () => {
    const outDir = path.join(scratch, "out");
    const result = await build({ config: path.join(root, "fixtures/host-instances/workerd-compose.config.ts"), outDir });
    assert.deepEqual(result.diagnostics, []);

    const service = readFileSync(path.join(outDir, "systemd/system/workerd@.service"), "utf8");
    const execStart = /^ExecStart=(.+)$/m.exec(service)![1]!.split(" ");
    assert.equal(execStart[0], "/usr/local/bin/workerd");
    const args = execStart.slice(1).map((arg) => arg.replace(/^\/etc\/workerd\//, `${outDir}/workerd/`));
    assert.match(readFileSync(path.join(outDir, "systemd/system/workerd@.socket"), "utf8"), /^ReusePort=yes$/m);

    port = await freePort();
    for (let instance = 0; instance < 2; instance++) {
      const upstream = await startEchoServer();
      upstreams.push(upstream);
      instances.push(
        startProcess("python3", [
          launcher,
          `127.0.0.1:${port}`,
          "--",
          workerdBinary,
          ...args,
          "--external-addr",
          `app=127.0.0.1:${upstream.port}`,
        ]),
      );
    }
    await waitForPort("127.0.0.1", port);
  });

  after(async () => {
    for (const instance of instances) {
      await instance.stop();
    }
    for (const upstream of upstreams) {
      await upstream.close();
    }
  });

  test("both instances answer", async () => {
    // Each request opens a new connection, and the kernel picks the listener
    // by a hash of the connection's addresses and ports. Requests go on until
    // both instances served one, at most 200 (a miss by chance has
    // probability 2^-199 once both listen).
    let sent = 0;
    while (sent < 200 && upstreams.some((upstream) => upstream.received.length === 0)) {
      const response = await request({ host: "127.0.0.1", port, hostHeader: "app.example.com" });
      assert.equal(response.status, 200, instances.map((instance) => instance.output()).join("\n"));
      sent++;
    }
    assert.ok(upstreams[0]!.received.length > 0, `the first instance served none of ${sent} requests`);
    assert.ok(upstreams[1]!.received.length > 0, `the second instance served none of ${sent} requests`);
    assert.equal(upstreams[0]!.received.length + upstreams[1]!.received.length, sent);
  });
});

describe("instances checks", () => {
  test("workerd-bound socket is rejected", () => {
    const result = compile(
      {
        compatibilityDate: "2024-12-01",
        sockets: [{ name: "http", port: 8080, activation: "workerd" }],
        upstreams: [{ name: "app", address: "127.0.0.1:3000" }],
        routes: [{ host: "app.example.com", upstream: "app" }],
        deployment: { target: "systemd", instances: 2 },
      },
      { today: new Date("2026-01-01T00:00:00Z") },
    );
    assert.deepEqual(result.files, []);
    const [diagnostic, ...rest] = result.diagnostics;
    assert.deepEqual(rest, []);
    assert.equal(diagnostic?.code, "instances-need-socket-activation");
    assert.equal(diagnostic?.path, "sockets[0].activation");
  });
});
