/**
 * The raw layer's fixtures served by the real workerd, once from
 * config.capnp and once from config.bin: both forms must give the same
 * answers. Each area of workerd's config has a fixture; the external
 * servers they reach are started here on loopback.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { DevServer, type ServedSocket } from "../compiler/serve.js";
import { request, startEchoServer, type EchoServer } from "./support/processes.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const fixture = (name: string) => path.join(root, "fixtures", name, "workerd-compose.config.ts");
const tlsDir = path.join(root, "fixtures/raw-sockets/tls");

/** Starts workerd on a fixture and returns its sockets by name; the caller closes the server. */
async function serveFixture(
  name: string,
  binary: boolean,
  options: { externalAddresses?: string[]; workerdArgs?: string[] } = {},
): Promise<{ server: DevServer; sockets: Map<string, ServedSocket> }> {
  const server = new DevServer({ config: fixture(name), binary, stdio: "pipe", ...options });
  const outcome = await server.start();
  assert.ok(outcome.ok, JSON.stringify(outcome, null, 2));
  return { server, sockets: new Map(outcome.sockets.map((socket) => [socket.name, socket])) };
}

/** Starts an HTTPS server with the test certificate that responds with the path it received. */
async function startHttpsServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = https.createServer(
    { key: readFileSync(path.join(tlsDir, "server.key")), cert: readFileSync(path.join(tlsDir, "server.pem")) },
    (incoming, response) => response.end(`tls ${incoming.url}`),
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/** Starts a TCP server that sends back whatever it receives. */
async function startTcpEcho(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((socket) => socket.pipe(socket));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      server.close();
      await once(server, "close");
    },
  };
}

/** Reads everything a TCP server sends until it closes the connection. */
async function readTcp(port: number): Promise<string> {
  const socket = net.connect({ host: "127.0.0.1", port });
  let text = "";
  socket.setEncoding("utf8");
  for await (const chunk of socket) {
    text += chunk as string;
  }
  return text;
}

async function httpsGet(port: number): Promise<{ status: number; body: string }> {
  const clientRequest = https.get({ host: "127.0.0.1", port, path: "/", ca: readFileSync(path.join(tlsDir, "ca.pem")), servername: "localhost" });
  const [response] = (await once(clientRequest, "response")) as [import("node:http").IncomingMessage];
  let body = "";
  response.setEncoding("utf8");
  for await (const chunk of response) {
    body += chunk as string;
  }
  return { status: response.statusCode!, body };
}

for (const binary of [false, true]) {
  const form = binary ? "config.bin" : "config.capnp";

  describe(`raw-services from ${form}`, () => {
    let echo: EchoServer;
    let secure: Awaited<ReturnType<typeof startHttpsServer>>;
    let tcp: Awaited<ReturnType<typeof startTcpEcho>>;
    let server: DevServer;
    let api: ServedSocket;

    before(async () => {
      echo = await startEchoServer();
      secure = await startHttpsServer();
      tcp = await startTcpEcho();
      const served = await serveFixture("raw-services", binary, {
        externalAddresses: [
          `echo=127.0.0.1:${echo.port}`,
          `secure-echo=127.0.0.1:${secure.port}`,
          `tcp-echo=127.0.0.1:${tcp.port}`,
        ],
        workerdArgs: ["--directory-path", `static=${path.join(root, "fixtures/raw-services/public")}`],
      });
      server = served.server;
      api = served.sockets.get("api")!;
    });

    after(async () => {
      await server?.close();
      await echo?.close();
      await secure?.close();
      await tcp?.close();
    });

    const get = (pathAndQuery: string) =>
      request({ host: "127.0.0.1", port: api.port, hostHeader: "api.local", path: pathAndQuery });

    test("external http service", async () => {
      const response = await get("/external");
      assert.equal(response.status, 200, server.collectedOutput);
      assert.equal(JSON.parse(response.body).url, "/from-worker");
    });

    test("external https service", async () => {
      const response = await get("/https");
      assert.equal(response.status, 200, server.collectedOutput);
      assert.equal(response.body, "tls /over-tls");
    });

    test("external tcp service", async () => {
      const response = await get("/tcp");
      assert.equal(response.status, 200, server.collectedOutput);
      assert.equal(response.body, "ping");
    });

    test("network service as global outbound", async () => {
      const response = await get(`/network?port=${echo.port}`);
      assert.equal(response.status, 200, server.collectedOutput);
      assert.equal(JSON.parse(response.body).url, "/through-network");
    });

    test("disk service", async () => {
      const response = await get("/disk");
      assert.equal(response.status, 200, server.collectedOutput);
      assert.equal(response.body, "hello from disk\n");
    });
  });

  describe(`raw-sockets from ${form}`, () => {
    let server: DevServer;
    let sockets: Map<string, ServedSocket>;

    before(async () => {
      ({ server, sockets } = await serveFixture("raw-sockets", binary));
    });

    after(async () => {
      await server?.close();
    });

    test("http socket injects header", async () => {
      const response = await request({ host: "127.0.0.1", port: sockets.get("plain")!.port, hostHeader: "a.local" });
      assert.equal(response.status, 200, server.collectedOutput);
      assert.equal(response.body, "hello over http\n");
      assert.equal(response.headers["x-served-by"], "raw socket");
    });

    test("https socket with embedded key pair", async () => {
      const secure = sockets.get("secure")!;
      assert.equal(secure.protocol, "https");
      const response = await httpsGet(secure.port);
      assert.equal(response.status, 200, server.collectedOutput);
      assert.equal(response.body, "hello over https\n");
    });

    test("tcp socket reaches connect handler", async () => {
      assert.equal(await readTcp(sockets.get("greeting")!.port), "hello over tcp\n");
    });
  });

  describe(`raw-modules from ${form}`, () => {
    let server: DevServer;
    let sockets: Map<string, ServedSocket>;

    before(async () => {
      ({ server, sockets } = await serveFixture("raw-modules", binary));
    });

    after(async () => {
      await server?.close();
    });

    test("every module kind imports", async () => {
      const response = await request({ host: "127.0.0.1", port: sockets.get("modules")!.port, hostHeader: "m.local" });
      assert.equal(response.status, 200, server.collectedOutput);
      assert.deepEqual(JSON.parse(response.body), {
        commonJs: "hello modules",
        text: "text from a file\n",
        data: [1, 2, 3, 255],
        wasm: 5,
        json: 42,
      });
    });

    test("service worker script answers", async () => {
      const response = await request({ host: "127.0.0.1", port: sockets.get("legacy")!.port, hostHeader: "l.local" });
      assert.equal(response.body, "service worker", server.collectedOutput);
    });
  });

  describe(`raw-bindings from ${form}`, () => {
    let server: DevServer;
    let sockets: Map<string, ServedSocket>;

    before(async () => {
      process.env.WORKERD_COMPOSE_GREETING = "from the environment";
      ({ server, sockets } = await serveFixture("raw-bindings", binary));
    });

    after(async () => {
      delete process.env.WORKERD_COMPOSE_GREETING;
      await server?.close();
    });

    test("every binding kind reaches the worker", async () => {
      const response = await request({ host: "127.0.0.1", port: sockets.get("bindings")!.port, hostHeader: "b.local" });
      assert.equal(response.status, 200, server.collectedOutput);
      assert.deepEqual(JSON.parse(response.body), {
        text: "hello",
        data: [1, 2, 3, 255],
        json: "test",
        cryptoKey: { algorithm: "HMAC", signatureBytes: 32 },
        service: "backend saw /hello",
        serviceEntrypoint: "admin for ops",
        kvNamespace: "value of colour",
        r2Bucket: "function",
        queue: "function",
        fromEnvironment: "from the environment",
        hyperdrive: { user: "app_user", database: "app" },
      });
    });

    test("wasm module binding in service worker", async () => {
      const response = await request({ host: "127.0.0.1", port: sockets.get("legacy")!.port, hostHeader: "l.local" });
      assert.equal(response.body, "2 + 3 = 5", server.collectedOutput);
    });
  });

  describe(`raw-durable-objects from ${form}`, () => {
    let server: DevServer;
    let sockets: Map<string, ServedSocket>;
    let storage: string;

    before(async () => {
      storage = mkdtempSync(path.join(tmpdir(), "workerd-compose-objects-"));
      ({ server, sockets } = await serveFixture("raw-durable-objects", binary, {
        workerdArgs: ["--directory-path", `object-storage=${storage}`],
      }));
    });

    after(async () => {
      await server?.close();
      rmSync(storage, { recursive: true, force: true });
    });

    for (const socket of ["memory", "disk"]) {
      test(`${socket} storage counts per object`, async () => {
        const port = sockets.get(socket)!.port;
        const count = async (name: string) =>
          (await request({ host: "127.0.0.1", port, hostHeader: "d.local", path: `/${name}` })).body;
        assert.equal(await count("a"), "1", server.collectedOutput);
        assert.equal(await count("a"), "2");
        assert.equal(await count("b"), "1");
      });
    }

    test("disk storage writes into the directory", () => {
      assert.deepEqual(readdirSync(storage), ["disk-counter"]);
    });
  });

  describe(`raw-settings from ${form}`, () => {
    let server: DevServer;
    let sockets: Map<string, ServedSocket>;

    before(async () => {
      ({ server, sockets } = await serveFixture("raw-settings", binary));
    });

    after(async () => {
      await server?.close();
    });

    test("extension module and wrapped binding", async () => {
      const response = await request({ host: "127.0.0.1", port: sockets.get("settings")!.port, hostHeader: "s.local" });
      assert.equal(response.status, 200, server.collectedOutput);
      assert.deepEqual(JSON.parse(response.body), {
        greeting: "hello settings from an extension",
        wrapped: "everything wrapped",
      });
    });

    test("structured logging writes JSON", async () => {
      // workerd writes the log line after the response; wait for it briefly.
      for (let attempt = 0; attempt < 40 && !server.collectedOutput.includes("request handled"); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const line = server.collectedOutput.split("\n").find((candidate) => candidate.includes("request handled"));
      assert.ok(line, server.collectedOutput);
      assert.equal(JSON.parse(line).message, "request handled");
    });
  });

  describe(`raw-experimental from ${form}`, () => {
    let server: DevServer;
    let sockets: Map<string, ServedSocket>;

    before(async () => {
      ({ server, sockets } = await serveFixture("raw-experimental", binary));
    });

    after(async () => {
      await server?.close();
    });

    test("experimental bindings work", async () => {
      const response = await request({ host: "127.0.0.1", port: sockets.get("lab")!.port, hostHeader: "e.local" });
      assert.equal(response.status, 200, server.collectedOutput);
      assert.deepEqual(JSON.parse(response.body), {
        unsafeEval: 42,
        memoryCache: 42,
        ephemeralLocal: "ephemeral room",
        durableObjectClass: "object",
      });
    });
  });
}
