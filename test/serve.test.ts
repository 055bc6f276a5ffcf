/**
 * `workerd-compose serve` through the installed entry point: shutdown while
 * files keep changing, rebuilds that change nothing, and errors in its flags.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { closeSync, cpSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { freePort, request } from "./support/processes.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = path.join(root, "bin/workerd-compose.js");
const scratch = mkdtempSync(path.join(tmpdir(), "workerd-compose-serve-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The raw-sockets fixture has four sockets; "plain" (the second) answers with hello.js's text. */
function rawSocketsCopy(name: string): string {
  const directory = path.join(scratch, name);
  cpSync(path.join(root, "fixtures/raw-sockets"), directory, { recursive: true });
  rmSync(path.join(directory, "expected"), { recursive: true });
  return directory;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** PIDs of the workerd processes among the direct children of `pid`, read from /proc. */
function workerdChildren(pid: number): number[] {
  const pids: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`, { withFileTypes: false })) {
    const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
    pids.push(...text.split(/\s+/).filter(Boolean).map(Number));
  }
  return pids.filter(isWorkerd);
}

/** Whether `pid` is a live workerd process; a reused PID of another program does not count. */
function isWorkerd(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return /\(workerd\) [^Z]/.test(stat);
  } catch {
    return false;
  }
}

async function isPortFree(port: number): Promise<boolean> {
  const server = net.createServer();
  server.listen(port, "127.0.0.1");
  try {
    await once(server, "listening");
  } catch {
    return false;
  }
  server.close();
  await once(server, "close");
  return true;
}

/** Starts the CLI with stderr piped and resolves once stderr matches `pattern`. */
async function startCli(args: string[], pattern: RegExp, cwd: string) {
  const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stdout!.resume();
  child.stderr!.on("data", (chunk: string) => (stderr += chunk));
  await waitFor(() => pattern.test(stderr), `${pattern} on stderr`, () => stderr, child);
  return { child, stderr: () => stderr };
}

async function waitFor(condition: () => boolean, what: string, output: () => string, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (child !== undefined && child.exitCode !== null) {
      throw new Error(`the CLI exited with ${child.exitCode} before ${what}; output:\n${output()}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`no ${what} in 20 s; output:\n${output()}`);
    }
    await sleep(50);
  }
}

async function stopCli(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) {
    return child.exitCode;
  }
  const exited = once(child, "exit");
  process.kill(child.pid!, "SIGINT");
  const [code] = (await exited) as [number | null];
  return code;
}

describe("serve shutdown", () => {
  test("SIGINT during constant changes", async () => {
    const directory = rawSocketsCopy("shutdown");
    const port = await freePort();
    const { child, stderr } = await startCli(
      ["serve", "--watch", "--verbose", "--config", "workerd-compose.config.ts", "--port", String(port)],
      /Watching for changes/,
      directory,
    );
    const outDir = /building into (\S+)/.exec(stderr())![1]!;
    assert.ok(existsSync(outDir));

    // Rewrite hello.js every 150 ms, just after each rebuild's 100 ms debounce,
    // so that rebuilds and restarts never settle.
    const worker = path.join(directory, "hello.js");
    const original = readFileSync(worker, "utf8");
    const seen = new Set<number>();
    let writes = 0;
    const writer = setInterval(() => {
      writes++;
      writeFileSync(worker, original.replace("hello over", `change ${writes} over`));
      if (child.exitCode === null) {
        workerdChildren(child.pid!).forEach((pid) => seen.add(pid));
      }
    }, 150);

    try {
      await waitFor(() => /restarted workerd/.test(stderr()), "a restart", stderr, child);
      await sleep(300);
      const exited = once(child, "exit");
      process.kill(child.pid!, "SIGINT");
      const timeout = sleep(20_000).then(() => "timed out");
      const outcome = await Promise.race([exited, timeout]);
      assert.notEqual(outcome, "timed out", `the CLI did not exit after SIGINT; stderr:\n${stderr()}`);
      assert.equal(child.exitCode, 0, stderr());
    } finally {
      clearInterval(writer);
      if (child.exitCode === null) {
        child.kill("SIGKILL");
      }
    }

    for (const match of stderr().matchAll(/workerd runs as PID (\d+)/g)) {
      seen.add(Number(match[1]));
    }
    assert.ok(seen.size > 0, "no workerd PID was seen");
    for (const pid of seen) {
      assert.equal(isWorkerd(pid), false, `workerd PID ${pid} still runs after the CLI exited`);
    }
    for (let index = 0; index < 4; index++) {
      assert.ok(await isPortFree(port + index), `port ${port + index} is still taken`);
    }
    assert.equal(existsSync(outDir), false, `${outDir} is left behind`);
  });
});

describe("serve rebuilds", () => {
  test("unrelated change keeps workerd", async () => {
    const directory = rawSocketsCopy("unrelated");
    const port = await freePort();
    const { child, stderr } = await startCli(
      ["serve", "--watch", "--verbose", "--config", "workerd-compose.config.ts", "--port", String(port)],
      /Watching for changes/,
      directory,
    );
    try {
      const firstPid = /workerd runs as PID (\d+)/.exec(stderr())![1];
      writeFileSync(path.join(directory, "notes.txt"), "not an input of the build\n");
      await waitFor(() => /did not change; workerd keeps running/.test(stderr()), "a silent rebuild", stderr, child);

      assert.doesNotMatch(stderr(), /restarted workerd/);
      assert.deepEqual([...stderr().matchAll(/workerd runs as PID (\d+)/g)].map((match) => match[1]), [firstPid]);
      const response = await request({ host: "127.0.0.1", port: port + 1, hostHeader: "a.local" });
      assert.equal(response.body, "hello over http\n");
    } finally {
      assert.equal(await stopCli(child), 0);
    }
  });

  for (const verbose of [false, true]) {
    test(`log file in directory settles${verbose ? " with --verbose" : ""}`, async () => {
      const directory = rawSocketsCopy(verbose ? "log-file-verbose" : "log-file");
      const port = await freePort();
      const log = path.join(directory, "serve.log");
      const logFd = openSync(log, "w");
      const args = ["serve", "--watch", "--config", "workerd-compose.config.ts", "--port", String(port)];
      const child = spawn(process.execPath, [cli, ...args, ...(verbose ? ["--verbose"] : [])], {
        cwd: directory,
        stdio: ["ignore", "ignore", logFd],
      });
      closeSync(logFd);
      const readLog = () => readFileSync(log, "utf8");
      try {
        await waitFor(() => /Watching for changes/.test(readLog()), "the watch message in serve.log", readLog, child);
        const workerdPids = workerdChildren(child.pid!);
        assert.equal(workerdPids.length, 1, readLog());

        await sleep(1500);
        const settled = readLog();
        await sleep(1500);
        assert.equal(readLog(), settled, "serve.log still grows");
        // The log's own changes start no rebuild, not even a silent one.
        assert.doesNotMatch(settled, /restarted workerd|rebuilding|did not change/);
        assert.deepEqual(workerdChildren(child.pid!), workerdPids);
      } finally {
        assert.equal(await stopCli(child), 0, readLog());
      }
    });
  }

  test("failed rebuild keeps previous workerd", async () => {
    const directory = rawSocketsCopy("failed-rebuild");
    const port = await freePort();
    const { child, stderr } = await startCli(
      ["serve", "--watch", "--config", "workerd-compose.config.ts", "--port", String(port)],
      /Watching for changes/,
      directory,
    );
    try {
      writeFileSync(path.join(directory, "workerd-compose.config.ts"), "export default { sockets: 5 };\n");
      await waitFor(() => /rebuild failed/.test(stderr()), "the failed rebuild", stderr, child);

      assert.match(stderr(), /The rebuild failed; the previous workerd keeps serving\./);
      const response = await request({ host: "127.0.0.1", port: port + 1, hostHeader: "a.local" });
      assert.equal(response.body, "hello over http\n");
    } finally {
      assert.equal(await stopCli(child), 0);
    }
  });
});

describe("serve output and errors", () => {
  test("each URL printed once", async () => {
    const directory = rawSocketsCopy("urls");
    const port = await freePort();
    const { child, stderr } = await startCli(
      ["serve", "--config", "workerd-compose.config.ts", "--port", String(port)],
      /Press Ctrl\+C to stop/,
      directory,
    );
    try {
      await sleep(300);
      for (let index = 0; index < 3; index++) {
        const url = `127.0.0.1:${port + index}`;
        assert.equal(stderr().split(url).length - 1, 1, `${url} in:\n${stderr()}`);
      }
      assert.doesNotMatch(stderr(), /Listening on/);
    } finally {
      assert.equal(await stopCli(child), 0);
    }
  });

  const fixtureConfig = path.join(root, "fixtures/raw-sockets/workerd-compose.config.ts");
  const cases: { name: string; args: string[]; message: RegExp }[] = [
    { name: "port not a number", args: ["--port", "abc"], message: /invalid --port: expected a port number from 1 to 65535/ },
    { name: "port above 65535", args: ["--port", "99999"], message: /invalid --port: .* received 99999\./ },
    { name: "last socket above 65535", args: ["--port", "65535"], message: /port 65535 leaves no port for socket "plain".* at most 65532\./ },
    { name: "external without address", args: ["--external", "whoami"], message: /invalid --external "whoami": expected NAME=HOST:PORT/ },
    { name: "external with bad port", args: ["--external", "whoami=127.0.0.1:0"], message: /invalid --external "whoami=127\.0\.0\.1:0"/ },
  ];
  for (const { name, args, message } of cases) {
    test(`user error: ${name}`, () => {
      const run = spawnSync(process.execPath, [cli, "serve", "--config", fixtureConfig, ...args], {
        cwd: scratch,
        encoding: "utf8",
        timeout: 30_000,
      });
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
      assert.doesNotMatch(run.stderr, /internal error|--external-addr|\n\s+at /);
    });
  }
});

describe("freePort", () => {
  test("skips excluded ports", async () => {
    const { freePort: pickPort } = await import("../compiler/serve.js");
    const taken = new Set<number>();
    for (let round = 0; round < 20; round++) {
      const port = await pickPort("127.0.0.1", taken);
      assert.equal(taken.has(port), false, `port ${port} was handed out twice`);
      taken.add(port);
    }
  });
});
