/**
 * The generated deployments served by the real workerd binary under
 * systemd-socket-activate, which passes the listening sockets as fd 3 onwards
 * exactly as systemd does. Requests are real HTTP on loopback.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { build, compile, type WorkerdComposeConfig } from "../compiler/index.js";
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

const root = fileURLToPath(new URL("..", import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), "workerd-compose-e2e-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Reads the single-line value of `key=` from a unit file. */
function unitValue(file: string, key: string): string {
  const line = readFileSync(file, "utf8")
    .split("\n")
    .find((candidate) => candidate.startsWith(`${key}=`));
  assert.ok(line, `${file} has no ${key}= line`);
  return line.slice(key.length + 1);
}

describe("example1 under socket activation", () => {
  let upstream: EchoServer;
  let workerd: RunningProcess;
  let port: number;

  before(async () => {
    upstream = await startEchoServer("127.0.0.1");
    const outDir = path.join(scratch, "example1");
    await build({ config: path.join(root, "fixtures/example1/workerd-compose.config.ts"), outDir });

    // The container's command line, with the config's mount point mapped to
    // the output tree and the upstream's address to the loopback server.
    const exec = unitValue(path.join(outDir, "containers/systemd/workerd.container"), "Exec").split(" ");
    assert.deepEqual(exec.slice(0, 3), ["serve", "--socket-fd", "http=3"]);
    const args = exec.map((arg) => arg.replace(/^\/etc\/workerd\//, `${outDir}/workerd/`));

    // A bare port listens dual-stack, as the generated ListenStream=80 does.
    port = await freePort("::");
    assert.equal(unitValue(path.join(outDir, "systemd/user/workerd.socket"), "ListenStream"), "80");
    workerd = startSocketActivated(
      [String(port)],
      [workerdBinary, ...args, "--external-addr", `whoami=127.0.0.1:${upstream.port}`],
    );
    await waitForPort("127.0.0.1", port);
  });

  after(async () => {
    await workerd?.stop();
    await upstream?.close();
  });

  test("routed host reaches upstream", async () => {
    const response = await request({ host: "127.0.0.1", port, hostHeader: "whoami.example.com", path: "/a?b=1" });
    assert.equal(response.status, 200, workerd.output());
    const echoed = JSON.parse(response.body);
    assert.equal(echoed.url, "/a?b=1");
    assert.equal(echoed.headers.host, "whoami.example.com");
    assert.equal(echoed.headers["x-forwarded-for"], "127.0.0.1");
    assert.equal(echoed.headers["x-forwarded-host"], "whoami.example.com");
    assert.equal(echoed.headers["x-forwarded-proto"], "http");
  });

  test("IPv6 client address is forwarded", async () => {
    const response = await request({ host: "::1", port, hostHeader: "whoami.example.com", family: 6 });
    assert.equal(response.status, 200, workerd.output());
    assert.equal(JSON.parse(response.body).headers["x-forwarded-for"], "::1");
  });

  test("forged forwarding headers are replaced", async () => {
    const response = await request({
      host: "127.0.0.1",
      port,
      hostHeader: "whoami.example.com",
      headers: {
        "X-Forwarded-For": "203.0.113.66",
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "https",
      },
    });
    assert.equal(response.status, 200, workerd.output());
    const echoed = JSON.parse(response.body);
    assert.equal(echoed.headers["x-forwarded-for"], "127.0.0.1");
    assert.equal(echoed.headers["x-forwarded-host"], "whoami.example.com");
    assert.equal(echoed.headers["x-forwarded-proto"], "http");
  });

  test("mixed case and trailing dot still route", async () => {
    const response = await request({ host: "127.0.0.1", port, hostHeader: "WhoAmI.Example.COM." });
    assert.equal(response.status, 200, workerd.output());
  });

  test("unknown host gets 404", async () => {
    const before = upstream.received.length;
    const response = await request({ host: "127.0.0.1", port, hostHeader: "other.example.com" });
    assert.equal(response.status, 404);
    assert.equal(response.body, "Not Found\n");
    assert.match(String(response.headers["content-type"]), /^text\/plain/);
    assert.equal(upstream.received.length, before, "the upstream received the unmatched request");
  });
});

describe("example-nsenter start script", () => {
  let upstream: EchoServer;
  let workerd: RunningProcess;
  let port: number;

  before(async () => {
    upstream = await startEchoServer("127.0.0.1");
    const outDir = path.join(scratch, "example-nsenter");
    await build({ config: path.join(root, "fixtures/example-nsenter/workerd-compose.config.ts"), outDir });

    // The script's workerd command line, with the install paths mapped into
    // the output tree. Entering Podman's namespaces is not possible here.
    const script = readFileSync(path.join(outDir, "workerd/workerd-nsenter.sh"), "utf8");
    const command = /^ {2}-- (.+)$/m.exec(script)?.[1];
    assert.ok(command, "the start script has no workerd command line");
    const [binary, ...args] = command.split(" ");
    assert.equal(binary, "/usr/local/bin/workerd");
    const mapped = args.map((arg) => arg.replace(/^\/var\/srv\/workerd\//, `${outDir}/workerd/`));

    port = await freePort("127.0.0.1");
    workerd = startSocketActivated(
      [`127.0.0.1:${port}`],
      [workerdBinary, ...mapped, "--external-addr", `whoami=127.0.0.1:${upstream.port}`],
    );
    await waitForPort("127.0.0.1", port);
  });

  after(async () => {
    await workerd?.stop();
    await upstream?.close();
  });

  test("IPv4-only socket forwards client address", async () => {
    const response = await request({ host: "127.0.0.1", port, hostHeader: "whoami.example.com" });
    assert.equal(response.status, 200, workerd.output());
    assert.equal(JSON.parse(response.body).headers["x-forwarded-for"], "127.0.0.1");
  });

  test("unknown host gets 404", async () => {
    const response = await request({ host: "127.0.0.1", port, hostHeader: "nope.example.com" });
    assert.equal(response.status, 404);
  });
});

describe("host service under socket activation", () => {
  let app: EchoServer;
  let docs: EchoServer;
  let workerd: RunningProcess;
  let ports: number[];

  before(async () => {
    app = await startEchoServer("127.0.0.1");
    docs = await startEchoServer("::1");
    const outDir = path.join(scratch, "host");
    await build({ config: path.join(root, "fixtures/host/workerd-compose.config.ts"), outDir });

    // The service's ExecStart= as written, with the binary and the config
    // directory mapped to the npm package's workerd and the output tree.
    const execStart = unitValue(path.join(outDir, "systemd/system/workerd.service"), "ExecStart");
    assert.doesNotMatch(execStart, /["'\\$%]/, "ExecStart= needs unquoting that this test does not do");
    const [binary, ...args] = execStart.split(" ");
    assert.equal(binary, "/usr/local/bin/workerd");
    const mapped = args.map((arg) => arg.replace(/^\/etc\/workerd\//, `${outDir}/workerd/`));

    // One free port per ListenStream= line, in the unit's order, so each
    // listener arrives as the fd that its --socket-fd argument names.
    const socketUnit = readFileSync(path.join(outDir, "systemd/system/workerd.socket"), "utf8");
    const listeners = [...socketUnit.matchAll(/^ListenStream=(\d+)$/gm)].map((match) => match[1]);
    assert.deepEqual(listeners, ["80", "8080"]);
    ports = [await freePort("::"), await freePort("::")];
    workerd = startSocketActivated(
      ports.map(String),
      [
        workerdBinary,
        ...mapped,
        "--external-addr",
        `app=127.0.0.1:${app.port}`,
        "--external-addr",
        `docs=[::1]:${docs.port}`,
      ],
    );
    await waitForPort("127.0.0.1", ports[0]!);
  });

  after(async () => {
    await workerd?.stop();
    await app?.close();
    await docs?.close();
  });

  test("first socket answers over IPv4", async () => {
    const response = await request({ host: "127.0.0.1", port: ports[0]!, hostHeader: "app.example.com" });
    assert.equal(response.status, 200, workerd.output());
    assert.equal(app.received.length, 1);
    assert.equal(JSON.parse(response.body).headers["x-forwarded-for"], "127.0.0.1");
  });

  test("second socket answers over IPv6", async () => {
    const response = await request({ host: "::1", port: ports[1]!, hostHeader: "docs.example.com", family: 6 });
    assert.equal(response.status, 200, workerd.output());
    assert.equal(docs.received.length, 1);
    assert.equal(JSON.parse(response.body).headers["x-forwarded-for"], "::1");
  });

  test("second socket answers over IPv4", async () => {
    const response = await request({ host: "127.0.0.1", port: ports[1]!, hostHeader: "app.example.com" });
    assert.equal(response.status, 200, workerd.output());
  });
});

describe("network outbound limited to loopback", () => {
  let allowed: EchoServer;
  let workerd: RunningProcess;
  let port: number;

  before(async () => {
    allowed = await startEchoServer("127.0.0.1");
    const config: WorkerdComposeConfig = {
      compatibilityDate: "2024-12-01",
      sockets: [{ name: "http", port: 80 }],
      networks: [{ name: "mynet" }],
      upstreams: [{ name: "whoami", address: `127.0.0.1:${allowed.port}` }],
      routes: [{ host: "whoami.example.com", upstream: "whoami" }],
      outbound: { mode: "network", allow: ["127.0.0.1/32"] },
      deployment: { target: "quadlet", image: "localhost/workerd", network: "mynet" },
    };
    const result = compile(config);
    assert.deepEqual(result.diagnostics, []);
    const outDir = path.join(scratch, "network");
    writeOutputTree(outDir, result.files);

    port = await freePort("127.0.0.1");
    workerd = startSocketActivated(
      [`127.0.0.1:${port}`],
      [workerdBinary, "serve", "--socket-fd", "http=3", path.join(outDir, "workerd/config.capnp")],
    );
    await waitForPort("127.0.0.1", port);
  });

  after(async () => {
    await workerd?.stop();
    await allowed?.close();
  });

  test("allowed destination is proxied", async () => {
    const response = await request({
      host: "127.0.0.1",
      port,
      hostHeader: "whoami.example.com",
      headers: { "X-Forwarded-For": "203.0.113.66" },
    });
    assert.equal(response.status, 200, workerd.output());
    const echoed = JSON.parse(response.body);
    assert.equal(echoed.headers["x-forwarded-for"], "127.0.0.1");
    assert.equal(echoed.headers["x-forwarded-host"], "whoami.example.com");
  });

  test("unknown host gets 404", async () => {
    const response = await request({ host: "127.0.0.1", port, hostHeader: "elsewhere.example.com" });
    assert.equal(response.status, 404);
  });
});
