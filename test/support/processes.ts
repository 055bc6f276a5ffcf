/**
 * Real processes for end-to-end tests: workerd from the npm package, started
 * under systemd-socket-activate, and an HTTP upstream that echoes what it
 * receives. Every process is stopped by PID when the test ends.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import path from "node:path";

import { freePort as freePortOn, workerdBinaryPath } from "../../compiler/serve.js";

/** Path of the workerd binary shipped by the npm package. */
export const workerdBinary = workerdBinaryPath();

/** Ports handed out in this test process, so that two tests or two sockets never get the same one. */
const handedOut = new Set<number>();

/** Returns a TCP port that was free a moment ago on `host`. systemd-socket-activate refuses port 0. */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const port = await freePortOn(host, handedOut);
  handedOut.add(port);
  return port;
}

/** What the echo upstream received. */
export interface EchoedRequest {
  /** The `name` the server was started with. */
  server: string | undefined;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The SNI host name of a TLS connection; undefined without TLS or SNI. */
  servername: string | undefined;
}

export interface EchoServer {
  port: number;
  received: EchoedRequest[];
  close(): Promise<void>;
}

export interface EchoServerOptions {
  /** Name echoed as `server`, to tell several echo servers apart. */
  name?: string;
  /** PEM key and certificate: serve HTTPS instead of HTTP. */
  tls?: { key: string; cert: string };
}

/**
 * Starts an HTTP (or HTTPS) server on `host` that responds to every request
 * with its method, URL, headers and body as JSON.
 */
export async function startEchoServer(host = "127.0.0.1", options: EchoServerOptions = {}): Promise<EchoServer> {
  const received: EchoedRequest[] = [];
  const handler: http.RequestListener = (request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      const servername = (request.socket as { servername?: string | false }).servername || undefined;
      const echoed = {
        server: options.name,
        method: request.method!,
        url: request.url!,
        headers: request.headers,
        body,
        servername,
      };
      received.push(echoed);
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify(echoed));
    });
  };
  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  server.listen(0, host);
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `command` under systemd-socket-activate, which listens on each of
 * `listen` and passes the sockets as fd 3, 4, … in that order, as systemd does.
 */
export function startSocketActivated(listen: readonly string[], command: readonly string[]): RunningProcess {
  const args = [...listen.flatMap((address) => ["-l", address]), "--", ...command];
  return startProcess("systemd-socket-activate", args);
}

/** Starts a process whose output is collected for failure messages and which stop() ends by PID. */
export function startProcess(file: string, args: readonly string[]): RunningProcess {
  const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Waits until something accepts TCP connections on host:port. */
export async function waitForPort(host: string, port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const socket = net.connect({ host, port });
      await once(socket, "connect");
      socket.destroy();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms: ${String(error)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Sends one HTTP/1.1 request to host:port with the given Host header. fetch()
 * cannot set Host, so this uses node:http.
 */
export async function request(
  options: {
    host: string;
    port: number;
    hostHeader: string;
    path?: string;
    headers?: Record<string, string>;
    family?: 4 | 6;
    /** Source address of the connection, such as 127.0.0.2. */
    localAddress?: string;
  },
): Promise<HttpResponse> {
  const clientRequest = http.request({
    host: options.host,
    port: options.port,
    family: options.family,
    localAddress: options.localAddress,
    path: options.path ?? "/",
    headers: { ...options.headers, host: options.hostHeader },
    agent: false,
    timeout: 10_000,
  });
  clientRequest.on("timeout", () => clientRequest.destroy(new Error("request timed out after 10 s")));
  clientRequest.end();
  const [response] = (await once(clientRequest, "response")) as [http.IncomingMessage];
  let body = "";
  response.setEncoding("utf8");
  for await (const chunk of response) {
    body += chunk as string;
  }
  return { status: response.statusCode!, headers: response.headers, body };
}

/** A self-signed certificate and its private key, in PEM. */
export interface SelfSignedCertificate {
  key: string;
  cert: string;
  /** Path of the certificate file in the directory it was created in. */
  certFile: string;
}

/**
 * Creates a self-signed certificate for `dnsNames` and `ipAddresses` with
 * Debian's openssl (node:crypto cannot issue certificates), valid for two
 * days, in `directory`.
 */
export function createSelfSignedCertificate(
  directory: string,
  dnsNames: readonly string[],
  ipAddresses: readonly string[] = [],
): SelfSignedCertificate {
  const keyFile = path.join(directory, "upstream-key.pem");
  const certFile = path.join(directory, "upstream-cert.pem");
  const altNames = [...dnsNames.map((name) => `DNS:${name}`), ...ipAddresses.map((ip) => `IP:${ip}`)];
  const run = spawnSync(
    "openssl",
    [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", keyFile, "-out", certFile, "-days", "2",
      "-subj", `/CN=${dnsNames[0]}`, "-addext", `subjectAltName=${altNames.join(",")}`,
    ],
    { encoding: "utf8" },
  );
  if (run.status !== 0) {
    throw new Error(`openssl failed to create a certificate: ${run.stderr || run.error}`);
  }
  return { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8"), certFile };
}
