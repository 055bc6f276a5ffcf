/**
 * A development server. It builds the config into a temporary directory
 * and runs the workerd binary of the `workerd` npm package on it, with every
 * socket moved to a local port by `--socket-addr`. The config can then be
 * tried without systemd, Podman or privileged ports. It rebuilds and
 * restarts on request, which `serve --watch` does when a file changes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { build, type BuildOptions, type BuildResult } from "./build.js";
import type { Diagnostic } from "./diagnostics.js";
import type { Socket } from "./model/workerd.js";
import { socketProtocol } from "./lower/topology.js";
import { formatHostPort } from "./util/address.js";

export interface DevServerOptions extends Pick<BuildOptions, "config" | "cwd" | "today"> {
  /** Address that every socket listens on. @default "127.0.0.1" */
  host?: string;
  /** Port of the first socket; the next sockets take the following ports. Without it, free ports are chosen. */
  port?: number;
  /** Serve `config.bin` with `--binary` instead of config.capnp. @default false */
  binary?: boolean;
  /** `NAME=HOST:PORT` overrides of external services' addresses (`--external-addr`). */
  externalAddresses?: string[];
  /** More arguments for `workerd serve`. */
  workerdArgs?: string[];
  /** Path of the workerd binary. @default the binary of the `workerd` npm package */
  workerdPath?: string;
  /** Destination of workerd's stdout and stderr: the terminal, or collectedOutput. @default "inherit" */
  stdio?: "inherit" | "pipe";
  /** How long to wait for the sockets to accept connections, in milliseconds. @default 15000 */
  startTimeoutMs?: number;
}

/** A socket of the running server. */
export interface ServedSocket {
  name: string;
  protocol: "http" | "https" | "tcp" | "udp";
  port: number;
  /** `http://127.0.0.1:PORT` and the like. */
  url: string;
}

/** Outcome of a build or rebuild: the sockets, or the diagnostics that stopped it. */
export type ServeOutcome = { ok: true; sockets: ServedSocket[] } | { ok: false; diagnostics: Diagnostic[] };

export class DevServer {
  /** Temporary directory that contains the built tree. */
  readonly outDir: string;
  /** Absolute path of the config file; known after the first build. */
  configFile: string | undefined;
  /** Diagnostics of the last build, warnings included. */
  diagnostics: Diagnostic[] = [];
  private child: ChildProcess | undefined;
  private ports = new Map<string, number>();
  private output = "";

  constructor(private readonly options: DevServerOptions = {}) {
    this.outDir = mkdtempSync(path.join(tmpdir(), "workerd-compose-serve-"));
  }

  /** The running workerd process, if any. */
  get process(): ChildProcess | undefined {
    return this.child;
  }

  /** workerd's output so far when `stdio` is "pipe". */
  get collectedOutput(): string {
    return this.output;
  }

  /**
   * Builds the config and (re)starts workerd on the new tree. A build with
   * errors leaves the running workerd untouched.
   */
  async start(): Promise<ServeOutcome> {
    const result = await build({ ...this.options, outDir: this.outDir, binary: this.options.binary ?? false });
    this.configFile = result.configFile;
    this.diagnostics = result.diagnostics;
    if (result.report === undefined) {
      return { ok: false, diagnostics: result.diagnostics };
    }

    await this.stopWorkerd();
    const sockets = await this.assignPorts(result.workerdConfig?.sockets ?? []);
    this.child = this.spawnWorkerd(result, sockets);
    await this.waitUntilListening(sockets);
    return { ok: true, sockets };
  }

  /** Stops workerd and removes the temporary directory. */
  async close(): Promise<void> {
    await this.stopWorkerd();
    rmSync(this.outDir, { recursive: true, force: true });
  }

  private async assignPorts(sockets: readonly Socket[]): Promise<ServedSocket[]> {
    const host = this.options.host ?? "127.0.0.1";
    const served: ServedSocket[] = [];
    for (const [index, socket] of sockets.entries()) {
      // A socket keeps its port across restarts, so URLs stay valid in --watch.
      let port = this.ports.get(socket.name);
      if (port === undefined) {
        port = this.options.port === undefined ? await freePort(host) : this.options.port + index;
        this.ports.set(socket.name, port);
      }
      const protocol = socketProtocol(socket);
      served.push({ name: socket.name, protocol, port, url: `${protocol}://${formatHostPort(host, port)}` });
    }
    return served;
  }

  private spawnWorkerd(result: BuildResult, sockets: readonly ServedSocket[]): ChildProcess {
    const host = this.options.host ?? "127.0.0.1";
    const workerdDir = path.join(this.outDir, "workerd");
    const configArgs = this.options.binary
      ? ["--binary", path.join(workerdDir, "config.bin")]
      : [path.join(workerdDir, "config.capnp")];
    const args = [
      "serve",
      ...configArgs,
      ...result.workerdFlags,
      ...sockets.flatMap((socket) => ["--socket-addr", `${socket.name}=${formatHostPort(host, socket.port)}`]),
      ...(this.options.externalAddresses ?? []).flatMap((entry) => ["--external-addr", entry]),
      ...(this.options.workerdArgs ?? []),
    ];

    // Relative `disk` paths resolve against workerd's working directory: the config's.
    const cwd = result.configFile ? path.dirname(result.configFile) : (this.options.cwd ?? process.cwd());
    const stdio = this.options.stdio ?? "inherit";
    const child = spawn(this.options.workerdPath ?? workerdBinaryPath(), args, {
      cwd,
      stdio: ["ignore", stdio, stdio],
    });
    this.output = "";
    child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    return child;
  }

  private async waitUntilListening(sockets: readonly ServedSocket[]): Promise<void> {
    const child = this.child!;
    const host = this.options.host ?? "127.0.0.1";
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 15_000);
    const exited = once(child, "exit").then(([code, signal]) => ({ code, signal }));

    // UDP sockets accept no connection to wait for.
    for (const socket of sockets.filter((candidate) => candidate.protocol !== "udp")) {
      for (;;) {
        const outcome = await Promise.race([connects(host, socket.port), exited]);
        if (typeof outcome === "object") {
          throw new ServeError(
            `workerd exited (${outcome.signal ?? `status ${String(outcome.code)}`}) before socket "${socket.name}" listened.${this.output ? `\n${this.output}` : ""}`,
          );
        }
        if (outcome) {
          break;
        }
        if (Date.now() > deadline) {
          throw new ServeError(`socket "${socket.name}" did not listen on port ${socket.port} in time.`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  private async stopWorkerd(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    // SIGTERM lets workerd finish requests in flight; SIGKILL follows after 5 s.
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** workerd failed to start or to listen; a problem of the environment, not of the config. */
export class ServeError extends Error {
  override name = "ServeError";
}

/** Path of the workerd binary shipped by the `workerd` npm package. */
export function workerdBinaryPath(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve("workerd/package.json")), "bin", "workerd");
}

/** Returns a TCP port that was free a moment ago on `host`. */
async function freePort(host: string): Promise<number> {
  const server = net.createServer();
  server.listen(0, host);
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
