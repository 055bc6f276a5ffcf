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
export type ServeOutcome =
  | {
      ok: true;
      sockets: ServedSocket[];
      /** False when the new build equals the running one, so workerd kept running. */
      restarted: boolean;
    }
  | { ok: false; diagnostics: Diagnostic[] };

/** The inputs of a running workerd: its arguments and the built files it reads. */
interface RunningBuild {
  args: string[];
  files: Map<string, string | Uint8Array>;
}

export class DevServer {
  /** Temporary directory that contains the built tree. */
  readonly outDir: string;
  /** Absolute path of the config file; known after the first build. */
  configFile: string | undefined;
  /** Diagnostics of the last build, warnings included. */
  diagnostics: Diagnostic[] = [];
  private child: ChildProcess | undefined;
  private running: RunningBuild | undefined;
  /** Every workerd started that has not exited yet, with a promise of its exit. */
  private readonly live = new Map<ChildProcess, Promise<void>>();
  /** The last start(); each start() waits for the one before. It never rejects. */
  private pending: Promise<unknown> = Promise.resolve();
  private closed = false;
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

  /** Whether workerd runs now. */
  get isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Whether close() was called; start() rejects from then on. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Builds the config and (re)starts workerd on the new tree. A build with
   * errors leaves the running workerd untouched, and so does a build whose
   * files and workerd arguments equal those of the running workerd. Calls
   * run one after another.
   */
  start(): Promise<ServeOutcome> {
    const run = this.pending.then(() => this.rebuild());
    this.pending = run.catch(() => undefined);
    return run;
  }

  /**
   * Stops every workerd this server started, waits for a start() in progress
   * and removes the temporary directory. The server cannot start again.
   */
  async close(): Promise<void> {
    this.closed = true;
    // Stopping workerd first makes a start() that waits for its sockets fail at once.
    await this.stopWorkerd();
    await this.pending;
    await this.stopWorkerd();
    rmSync(this.outDir, { recursive: true, force: true });
  }

  /** Sends SIGKILL to every running workerd; close() still has to be awaited. */
  kill(): void {
    for (const child of this.live.keys()) {
      child.kill("SIGKILL");
    }
  }

  private async rebuild(): Promise<ServeOutcome> {
    this.rejectWhenClosed();
    const result = await build({ ...this.options, outDir: this.outDir, binary: this.options.binary ?? false });
    this.configFile = result.configFile;
    this.diagnostics = result.diagnostics;
    if (result.report === undefined) {
      return { ok: false, diagnostics: result.diagnostics };
    }

    const sockets = await this.assignPorts(result.workerdConfig?.sockets ?? []);
    const next: RunningBuild = {
      args: this.workerdArguments(result, sockets),
      files: new Map(result.files.map((file) => [file.path, file.contents])),
    };
    if (this.isRunning && this.running !== undefined && sameBuild(this.running, next)) {
      return { ok: true, sockets, restarted: false };
    }

    await this.stopWorkerd();
    this.rejectWhenClosed();
    this.child = this.spawnWorkerd(result, next.args);
    this.running = next;
    await this.waitUntilListening(sockets);
    return { ok: true, sockets, restarted: true };
  }

  private rejectWhenClosed(): void {
    if (this.closed) {
      throw new ServeError("the development server is closed and cannot start workerd again.");
    }
  }

  private async assignPorts(sockets: readonly Socket[]): Promise<ServedSocket[]> {
    const host = this.options.host ?? "127.0.0.1";
    const served: ServedSocket[] = [];
    for (const [index, socket] of sockets.entries()) {
      // A socket keeps its port across restarts, so URLs stay valid in --watch.
      let port = this.ports.get(socket.name);
      if (port === undefined) {
        port =
          this.options.port === undefined
            ? await freePort(host, new Set(this.ports.values()))
            : this.options.port + index;
        if (port > 65535) {
          throw new ServeError(
            `port ${this.options.port} leaves no port for socket "${socket.name}": ${sockets.length} sockets take ` +
              `ports ${this.options.port} to ${this.options.port! + sockets.length - 1}, and ports end at 65535. ` +
              `Choose a port of at most ${65536 - sockets.length}.`,
          );
        }
        this.ports.set(socket.name, port);
      }
      const protocol = socketProtocol(socket);
      served.push({ name: socket.name, protocol, port, url: `${protocol}://${formatHostPort(host, port)}` });
    }
    return served;
  }

  private workerdArguments(result: BuildResult, sockets: readonly ServedSocket[]): string[] {
    const host = this.options.host ?? "127.0.0.1";
    const workerdDir = path.join(this.outDir, "workerd");
    const configArgs = this.options.binary
      ? ["--binary", path.join(workerdDir, "config.bin")]
      : [path.join(workerdDir, "config.capnp")];
    return [
      "serve",
      ...configArgs,
      ...result.workerdFlags,
      ...sockets.flatMap((socket) => ["--socket-addr", `${socket.name}=${formatHostPort(host, socket.port)}`]),
      ...(this.options.externalAddresses ?? []).flatMap((entry) => ["--external-addr", entry]),
      ...(this.options.workerdArgs ?? []),
    ];
  }

  private spawnWorkerd(result: BuildResult, args: readonly string[]): ChildProcess {
    // Relative `disk` paths resolve against workerd's working directory: the config's.
    const cwd = result.configFile ? path.dirname(result.configFile) : (this.options.cwd ?? process.cwd());
    const collect = this.options.stdio === "pipe";
    // With "inherit", stderr still goes through a pipe so that workerd's
    // "Listening on URL" lines are dropped: the CLI prints each socket's URL itself.
    const child = spawn(this.options.workerdPath ?? workerdBinaryPath(), args, {
      cwd,
      stdio: ["ignore", collect ? "pipe" : "inherit", "pipe"],
    });
    this.live.set(
      child,
      once(child, "exit").then(() => {
        this.live.delete(child);
      }),
    );
    this.output = "";
    child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    if (collect) {
      child.stderr!.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    } else {
      forwardWithoutListeningLines(child.stderr!, process.stderr);
    }
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

  /** Stops every running workerd by its PID and waits until each has exited. */
  private async stopWorkerd(): Promise<void> {
    this.child = undefined;
    this.running = undefined;
    await Promise.all(
      [...this.live].map(async ([child, exited]) => {
        // SIGTERM lets workerd finish requests in flight; SIGKILL follows after 5 s.
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

function sameBuild(running: RunningBuild, next: RunningBuild): boolean {
  if (running.args.length !== next.args.length || running.args.some((arg, index) => arg !== next.args[index])) {
    return false;
  }
  if (running.files.size !== next.files.size) {
    return false;
  }
  for (const [file, contents] of next.files) {
    const previous = running.files.get(file);
    if (previous === undefined || !Buffer.from(previous).equals(Buffer.from(contents))) {
      return false;
    }
  }
  return true;
}

/** Copies workerd's stderr line by line to `target`, without its "Listening on URL" lines. */
function forwardWithoutListeningLines(source: NodeJS.ReadableStream, target: NodeJS.WritableStream): void {
  let partial = "";
  source.setEncoding("utf8");
  source.on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop()!;
    const kept = lines.filter((line) => !/^Listening on \S+$/.test(line));
    if (kept.length > 0) {
      target.write(`${kept.join("\n")}\n`);
    }
  });
  source.on("end", () => {
    if (partial !== "") {
      target.write(partial);
    }
  });
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

/**
 * Returns a TCP port that was free a moment ago on `host` and is not in
 * `exclude`. The kernel may hand out a port again once its probe is closed,
 * so callers that pick several ports before binding any pass the ones they
 * already hold.
 */
export async function freePort(host: string, exclude: ReadonlySet<number> = new Set()): Promise<number> {
  for (;;) {
    const server = net.createServer();
    server.listen(0, host);
    await once(server, "listening");
    const { port } = server.address() as net.AddressInfo;
    server.close();
    await once(server, "close");
    if (!exclude.has(port)) {
      return port;
    }
  }
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
