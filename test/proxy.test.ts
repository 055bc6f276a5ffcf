/**
 * Routing, forwarding headers and upstream kinds, served by the real workerd
 * binary under systemd-socket-activate. Each describe block starts workerd
 * once and sends every case of its table to it.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { build, compile, type Diagnostic, type WorkerdComposeConfig } from "../compiler/index.js";
import { writeOutputTree } from "../compiler/write/index.js";
import {
  createSelfSignedCertificate,
  freePort,
  request,
  startEchoServer,
  startSocketActivated,
  waitForPort,
  workerdBinary,
  type EchoedRequest,
  type EchoServer,
  type HttpResponse,
  type RunningProcess,
  type SelfSignedCertificate,
} from "./support/processes.js";

const scratch = mkdtempSync(path.join(tmpdir(), "workerd-compose-proxy-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const today = new Date("2026-01-01T00:00:00Z");

function baseConfig(): Pick<WorkerdComposeConfig, "compatibilityDate" | "sockets" | "networks" | "deployment"> {
  return {
    compatibilityDate: "2024-12-01",
    sockets: [{ name: "http", port: 80 }],
    networks: [{ name: "net" }],
    deployment: { target: "quadlet", image: "localhost/workerd", network: "net" },
  };
}

/**
 * Serves the built config.capnp of `outDir` with workerd on a socket that
 * systemd-socket-activate opens: `listen` is `PORT` (dual-stack) or
 * `127.0.0.1:PORT` (IPv4 only).
 */
async function serve(outDir: string, dualStack: boolean): Promise<{ workerd: RunningProcess; port: number }> {
  const port = await freePort(dualStack ? "::" : "127.0.0.1");
  const workerd = startSocketActivated(
    [dualStack ? String(port) : `127.0.0.1:${port}`],
    [workerdBinary, "serve", "--socket-fd", "http=3", path.join(outDir, "workerd/config.capnp")],
  );
  await waitForPort("127.0.0.1", port);
  return { workerd, port };
}

/** Compiles `config` into a fresh output directory, expecting exactly the given diagnostics. */
function compileInto(name: string, config: WorkerdComposeConfig, expected: Partial<Diagnostic>[] = []): string {
  const result = compile(config, { today });
  assert.deepEqual(
    result.diagnostics.map((diagnostic) => ({ code: diagnostic.code, severity: diagnostic.severity })),
    expected,
  );
  const outDir = path.join(scratch, name);
  writeOutputTree(outDir, result.files);
  return outDir;
}

function echoed(response: HttpResponse, workerd: RunningProcess): EchoedRequest {
  assert.equal(response.status, 200, `${response.body}\n${workerd.output()}`);
  return JSON.parse(response.body) as EchoedRequest;
}

describe("routing on a dual-stack socket", () => {
  const servers: Record<string, EchoServer> = {};
  let workerd: RunningProcess;
  let port: number;

  before(async () => {
    for (const name of ["exact", "wildcard", "deeper", "prefix", "fixed"]) {
      servers[name] = await startEchoServer("127.0.0.1", { name });
    }
    const upstream = (name: string) => ({ name, address: `127.0.0.1:${servers[name]!.port}` });
    const outDir = compileInto("routing", {
      ...baseConfig(),
      upstreams: [
        upstream("exact"),
        upstream("wildcard"),
        upstream("deeper"),
        upstream("prefix"),
        { ...upstream("fixed"), hostHeader: "Internal.Example." },
        { ...upstream("fixed"), name: "fixedPort", hostHeader: "internal.example:8080" },
      ],
      routes: [
        { host: "app.example.com", upstream: "exact" },
        { host: "*.example.com", upstream: "wildcard" },
        { host: "*.B.example.com.", upstream: "deeper" },
        { host: "bücher.example", upstream: "exact" },
        { host: "api.example.com", upstream: "exact" },
        { host: "api.example.com", pathPrefix: "/v2", upstream: "prefix" },
        { host: "api.example.com", pathPrefix: "/v2/admin", upstream: "deeper" },
        { host: "docs.example.com", pathPrefix: "/guide", upstream: "prefix" },
        { host: "fixed.example.com", upstream: "fixed" },
        { host: "fixed-port.example.com", upstream: "fixedPort" },
      ],
      unmatched: { status: 421 },
    });
    ({ workerd, port } = await serve(outDir, true));
  });

  after(async () => {
    await workerd?.stop();
    for (const server of Object.values(servers)) {
      await server.close();
    }
  });

  // Host header → the upstream that must receive it, or the status code.
  const hostCases: [string, string | number][] = [
    ["app.example.com", "exact"],
    ["APP.Example.COM.", "exact"],
    ["app.example.com:8080", "exact"],
    ["x.example.com", "wildcard"],
    ["X.EXAMPLE.COM.", "wildcard"],
    ["x.y.example.com", "wildcard"],
    ["b.example.com", "wildcard"],
    ["x.b.example.com", "deeper"],
    ["x.y.B.example.com", "deeper"],
    ["xn--bcher-kva.example", "exact"],
    ["example.com", 421],
    ["example.com.", 421],
    ["other.test", 421],
    ["xexample.com", 421],
    ["app.example.com..", 421],
  ];
  test("host matrix", async () => {
    for (const [hostHeader, expected] of hostCases) {
      const response = await request({ host: "127.0.0.1", port, hostHeader });
      if (typeof expected === "number") {
        assert.equal(response.status, expected, `${hostHeader}: ${response.body}`);
        assert.equal(response.body, "Misdirected Request\n", hostHeader);
        assert.match(String(response.headers["content-type"]), /^text\/plain/, hostHeader);
      } else {
        assert.equal(echoed(response, workerd).server, expected, hostHeader);
      }
    }
  });

  // Path → the upstream that must receive it, or the status code.
  const pathCases: [string, string, string | number][] = [
    ["api.example.com", "/", "exact"],
    ["api.example.com", "/v2", "prefix"],
    ["api.example.com", "/v2/", "prefix"],
    ["api.example.com", "/v2/users?page=2", "prefix"],
    ["api.example.com", "/v2x", "exact"],
    ["api.example.com", "/V2", "exact"],
    ["api.example.com", "/v2/admin/keys", "deeper"],
    ["api.example.com", "/v2/administrator", "prefix"],
    ["api.example.com", "/v3/../v2/x", "prefix"],
    ["docs.example.com", "/guide/intro", "prefix"],
    ["docs.example.com", "/other", 421],
    ["docs.example.com", "/", 421],
  ];
  test("path prefix matrix", async () => {
    for (const [hostHeader, requestPath, expected] of pathCases) {
      const response = await request({ host: "127.0.0.1", port, hostHeader, path: requestPath });
      const label = `${hostHeader}${requestPath}`;
      if (typeof expected === "number") {
        assert.equal(response.status, expected, label);
      } else {
        assert.equal(echoed(response, workerd).server, expected, label);
      }
    }
  });

  test("prefix is not stripped", async () => {
    const response = await request({ host: "127.0.0.1", port, hostHeader: "api.example.com", path: "/v2/users?page=2" });
    assert.equal(echoed(response, workerd).url, "/v2/users?page=2");
  });

  test("client host is preserved", async () => {
    const response = await request({ host: "127.0.0.1", port, hostHeader: "App.Example.com:8080" });
    assert.equal(echoed(response, workerd).headers.host, "app.example.com:8080");
  });

  test("fixed Host header", async () => {
    const response = await request({ host: "127.0.0.1", port, hostHeader: "fixed.example.com:9000", path: "/a?b" });
    const upstream = echoed(response, workerd);
    assert.equal(upstream.server, "fixed");
    assert.equal(upstream.headers.host, "internal.example");
    assert.equal(upstream.headers["x-forwarded-host"], "fixed.example.com:9000");
    assert.equal(upstream.url, "/a?b");
  });

  test("fixed Host header with port", async () => {
    const response = await request({ host: "127.0.0.1", port, hostHeader: "fixed-port.example.com" });
    assert.equal(echoed(response, workerd).headers.host, "internal.example:8080");
  });

  test("IPv6 client reaches wildcard", async () => {
    const response = await request({ host: "::1", port, hostHeader: "v6.example.com", family: 6 });
    const upstream = echoed(response, workerd);
    assert.equal(upstream.server, "wildcard");
    assert.equal(upstream.headers["x-forwarded-for"], "::1");
  });
});

describe("forwarded headers on a dual-stack socket", () => {
  let upstream: EchoServer;
  let workerd: RunningProcess;
  let port: number;

  before(async () => {
    upstream = await startEchoServer("127.0.0.1");
    const outDir = compileInto("forwarded-dual-stack", {
      ...baseConfig(),
      upstreams: [{ name: "app", address: `127.0.0.1:${upstream.port}` }],
      routes: [{ host: "app.example.com", upstream: "app" }],
      forwarded: { trustedProxies: ["127.0.0.2/32", "::1/128"], forwarded: true },
    });
    ({ workerd, port } = await serve(outDir, true));
  });

  after(async () => {
    await workerd?.stop();
    await upstream?.close();
  });

  const forged = {
    "X-Forwarded-For": "203.0.113.66",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "https",
    Forwarded: "for=203.0.113.66;proto=https",
  };

  test("untrusted IPv4 client: forged headers replaced", async () => {
    const response = await request({ host: "127.0.0.1", port, hostHeader: "app.example.com", headers: forged });
    const { headers } = echoed(response, workerd);
    assert.equal(headers["x-forwarded-for"], "127.0.0.1");
    assert.equal(headers["x-forwarded-host"], "app.example.com");
    assert.equal(headers["x-forwarded-proto"], "http");
    assert.equal(headers.forwarded, "for=127.0.0.1;host=app.example.com;proto=http");
  });

  test("trusted IPv4-mapped proxy: chain extended", async () => {
    const response = await request({
      host: "127.0.0.1",
      port,
      localAddress: "127.0.0.2",
      hostHeader: "app.example.com",
      headers: forged,
    });
    const { headers } = echoed(response, workerd);
    assert.equal(headers["x-forwarded-for"], "203.0.113.66, 127.0.0.2");
    assert.equal(headers["x-forwarded-host"], "evil.example");
    assert.equal(headers["x-forwarded-proto"], "https");
    assert.equal(headers.forwarded, "for=203.0.113.66;proto=https, for=127.0.0.2;host=app.example.com;proto=http");
  });

  test("trusted IPv6 proxy: Forwarded quotes IPv6", async () => {
    const response = await request({ host: "::1", port, family: 6, hostHeader: "app.example.com:8080" });
    const { headers } = echoed(response, workerd);
    assert.equal(headers["x-forwarded-for"], "::1");
    assert.equal(headers["x-forwarded-host"], "app.example.com:8080");
    assert.equal(headers.forwarded, 'for="[::1]";host="app.example.com:8080";proto=http');
  });

  test("trusted IPv6 proxy: chain extended", async () => {
    const response = await request({ host: "::1", port, family: 6, hostHeader: "app.example.com", headers: forged });
    const { headers } = echoed(response, workerd);
    assert.equal(headers["x-forwarded-for"], "203.0.113.66, ::1");
    assert.equal(headers["x-forwarded-host"], "evil.example");
  });
});

describe("forwarded headers on an IPv4-only socket", () => {
  let upstream: EchoServer;
  let workerd: RunningProcess;
  let port: number;

  before(async () => {
    upstream = await startEchoServer("127.0.0.1");
    const outDir = compileInto("forwarded-ipv4", {
      ...baseConfig(),
      upstreams: [{ name: "app", address: `127.0.0.1:${upstream.port}` }],
      routes: [{ host: "app.example.com", upstream: "app" }],
      // Written as an IPv4-mapped range, which the router matches in IPv4 form.
      forwarded: { trustedProxies: ["::ffff:127.0.0.2/128"], xForwardedHost: false, xForwardedProto: false },
    });
    ({ workerd, port } = await serve(outDir, false));
  });

  after(async () => {
    await workerd?.stop();
    await upstream?.close();
  });

  test("untrusted client: disabled headers removed", async () => {
    const response = await request({
      host: "127.0.0.1",
      port,
      hostHeader: "app.example.com",
      headers: { "X-Forwarded-For": "203.0.113.66", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https" },
    });
    const { headers } = echoed(response, workerd);
    assert.equal(headers["x-forwarded-for"], "127.0.0.1");
    assert.equal(headers["x-forwarded-host"], undefined);
    assert.equal(headers["x-forwarded-proto"], undefined);
    assert.equal(headers.forwarded, undefined);
  });

  test("trusted client: disabled headers kept", async () => {
    const response = await request({
      host: "127.0.0.1",
      port,
      localAddress: "127.0.0.2",
      hostHeader: "app.example.com",
      headers: { "X-Forwarded-For": "198.51.100.7", "X-Forwarded-Host": "public.example" },
    });
    const { headers } = echoed(response, workerd);
    assert.equal(headers["x-forwarded-for"], "198.51.100.7, 127.0.0.2");
    assert.equal(headers["x-forwarded-host"], "public.example");
  });

  test("unmatched host gets 404", async () => {
    const before = upstream.received.length;
    const response = await request({ host: "127.0.0.1", port, hostHeader: "other.example.com" });
    assert.equal(response.status, 404);
    assert.equal(response.body, "Not Found\n");
    assert.equal(upstream.received.length, before);
  });
});

describe("https upstream through external service", () => {
  let certificate: SelfSignedCertificate;
  let secure: EchoServer;
  let workerd: RunningProcess;
  let port: number;

  before(async () => {
    const directory = mkdtempSync(path.join(scratch, "https-"));
    certificate = createSelfSignedCertificate(directory, ["upstream.test"]);
    secure = await startEchoServer("127.0.0.1", { tls: certificate });
    const address = `127.0.0.1:${secure.port}`;

    // A JSON config next to the certificate, so build() reads the file
    // relative to the config.
    const config: WorkerdComposeConfig = {
      ...baseConfig(),
      upstreams: [
        {
          name: "secure",
          address,
          https: { certificateHost: "upstream.test", trustedCertificates: ["upstream-cert.pem"], trustBrowserCas: false },
        },
        {
          name: "wrongName",
          address,
          https: { certificateHost: "other.test", trustedCertificates: ["upstream-cert.pem"] },
        },
        { name: "untrusted", address, https: { certificateHost: "upstream.test" } },
      ],
      routes: [
        { host: "secure.example.com", upstream: "secure" },
        { host: "wrong-name.example.com", upstream: "wrongName" },
        { host: "untrusted.example.com", upstream: "untrusted" },
      ],
    };
    const configFile = path.join(directory, "workerd-compose.config.json");
    writeFileSync(configFile, JSON.stringify(config));
    const outDir = path.join(directory, "out");
    const result = await build({ config: configFile, outDir, today });
    assert.deepEqual(result.diagnostics, []);
    ({ workerd, port } = await serve(outDir, false));
  });

  after(async () => {
    await workerd?.stop();
    await secure?.close();
  });

  test("certificate host sent as SNI", async () => {
    const response = await request({ host: "127.0.0.1", port, hostHeader: "secure.example.com", path: "/tls" });
    const upstream = echoed(response, workerd);
    assert.equal(upstream.servername, "upstream.test");
    assert.equal(upstream.headers.host, "secure.example.com");
    assert.equal(upstream.url, "/tls");
  });

  test("certificate for another name fails", async () => {
    const before = secure.received.length;
    const response = await request({ host: "127.0.0.1", port, hostHeader: "wrong-name.example.com" });
    assert.ok(response.status >= 500, `status ${response.status}`);
    assert.equal(secure.received.length, before, "a request reached the upstream over an unverified connection");
  });

  test("untrusted certificate fails", async () => {
    const before = secure.received.length;
    const response = await request({ host: "127.0.0.1", port, hostHeader: "untrusted.example.com" });
    assert.ok(response.status >= 500, `status ${response.status}`);
    assert.equal(secure.received.length, before, "a request reached the upstream over an unverified connection");
  });
});

describe("network outbound with pass-through and https", () => {
  let plain: EchoServer;
  let outside: EchoServer;
  let secure: EchoServer;
  let workerd: RunningProcess;
  let port: number;

  before(async () => {
    const certificate = createSelfSignedCertificate(mkdtempSync(path.join(scratch, "network-https-")), ["localhost"]);
    plain = await startEchoServer("127.0.0.1", { name: "plain" });
    outside = await startEchoServer("127.0.0.2", { name: "outside" });
    secure = await startEchoServer("127.0.0.1", { name: "secure", tls: certificate });
    const outDir = compileInto(
      "network",
      {
        ...baseConfig(),
        upstreams: [
          { name: "direct", passThrough: true },
          { name: "secure", address: `localhost:${secure.port}`, https: { trustedCertificates: [certificate.cert] } },
        ],
        routes: [
          { host: "localhost", upstream: "direct" },
          { host: "127.0.0.2", upstream: "direct" },
          { host: "secure.example.com", upstream: "secure" },
        ],
        outbound: { mode: "network", allow: ["127.0.0.1/32"] },
      },
      // "localhost" may resolve to ::1, which the IPv4 allow list refuses.
      [{ code: "allowlist-without-ipv6", severity: "warning" }],
    );
    ({ workerd, port } = await serve(outDir, false));
  });

  after(async () => {
    await workerd?.stop();
    await plain?.close();
    await outside?.close();
    await secure?.close();
  });

  test("pass-through reaches allowed destination", async () => {
    const response = await request({
      host: "127.0.0.1",
      port,
      hostHeader: `localhost:${plain.port}`,
      path: "/p?q=1",
      headers: { "X-Forwarded-For": "203.0.113.66" },
    });
    const upstream = echoed(response, workerd);
    assert.equal(upstream.server, "plain");
    assert.equal(upstream.url, "/p?q=1");
    assert.equal(upstream.headers.host, `localhost:${plain.port}`);
    assert.equal(upstream.headers["x-forwarded-for"], "127.0.0.1");
  });

  test("pass-through outside allow list refused", async () => {
    const response = await request({ host: "127.0.0.1", port, hostHeader: `127.0.0.2:${outside.port}` });
    assert.notEqual(response.status, 200);
    assert.equal(outside.received.length, 0, "the network service connected outside its allow list");
  });

  test("https through network service", async () => {
    const response = await request({ host: "127.0.0.1", port, hostHeader: "secure.example.com" });
    const upstream = echoed(response, workerd);
    assert.equal(upstream.server, "secure");
    assert.equal(upstream.servername, "localhost");
    assert.equal(upstream.headers["x-forwarded-host"], "secure.example.com");
  });

  test("unmatched host gets 404", async () => {
    const response = await request({ host: "127.0.0.1", port, hostHeader: "elsewhere.example.com" });
    assert.equal(response.status, 404);
  });
});
