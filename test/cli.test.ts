/** Every command of the CLI through the installed entry point bin/workerd-compose.js. */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { freePort, request, startEchoServer } from "./support/processes.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = path.join(root, "bin/workerd-compose.js");
const example1 = path.join(root, "fixtures/example1/workerd-compose.config.ts");
const scratch = mkdtempSync(path.join(tmpdir(), "workerd-compose-cli-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return spawnSync(process.execPath, [cli, ...args], {
    cwd: options.cwd ?? root,
    env: options.env ?? process.env,
    encoding: "utf8",
  });
}

function freshDirectory(name: string): string {
  const directory = path.join(scratch, name);
  mkdirSync(directory, { recursive: true });
  return directory;
}

/** Starts the CLI in the background and resolves once its stderr matches `pattern`. */
async function startCli(args: string[], pattern: RegExp, cwd = root) {
  const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stdout!.resume();
  const matched = new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in 20 s; stderr:\n${stderr}`)), 20_000);
    child.stderr!.on("data", (chunk: string) => {
      stderr += chunk;
      const match = pattern.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.once("exit", (code) => reject(new Error(`the CLI exited with ${code}; stderr:\n${stderr}`)));
  });
  return { child, match: await matched, stderr: () => stderr };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) {
    return child.exitCode;
  }
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code] = (await exited) as [number | null];
  return code;
}

describe("build command", () => {
  test("binary flag writes config.bin", () => {
    const outDir = path.join(scratch, "build-binary");
    const run = runCli(["build", "--config", example1, "--out", outDir, "--binary"]);
    assert.equal(run.status, 0, run.stderr);
    assert.ok(readFileSync(path.join(outDir, "workerd/config.bin")).length > 0);
    assert.ok(existsSync(path.join(outDir, "topology.md")));
  });

  test("check lists outdated files", () => {
    const outDir = path.join(scratch, "build-check");
    assert.equal(runCli(["build", "--config", example1, "--out", outDir]).status, 0);
    writeFileSync(path.join(outDir, "workerd/fetch.js"), "changed\n");
    const run = runCli(["build", "--config", example1, "--out", outDir, "--check"]);
    assert.equal(run.status, 1);
    assert.equal(run.stdout, "workerd/fetch.js\n");
  });

  test("unknown option runs nothing", () => {
    const outDir = path.join(scratch, "never-written");
    const run = runCli(["build", "--config", example1, "--out", outDir, "--binray"]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /Unknown argument: binray/);
    assert.equal(existsSync(outDir), false);
  });

  test("misspelt command builds nothing", () => {
    const directory = freshDirectory("misspelt");
    copyFileSync(example1, path.join(directory, "workerd-compose.config.ts"));
    for (const args of [["chek"], ["grpah", "--verbose"], ["build", "bulid"]]) {
      const run = runCli(args, { cwd: directory });
      assert.equal(run.status, 1, args.join(" "));
      assert.match(run.stderr, /Unknown argument/);
      assert.equal(existsSync(path.join(directory, "out")), false, `${args.join(" ")} wrote out/`);
    }
    assert.match(runCli(["chek"], { cwd: directory }).stderr, /Did you mean the command "check"\?/);
  });

  test("quiet prints nothing on success", () => {
    const run = runCli(["build", "-q", "--config", example1, "--out", path.join(scratch, "quiet")]);
    assert.equal(run.status, 0);
    assert.equal(run.stderr, "");
    assert.equal(run.stdout, "");
  });

  test("verbose lists each file", () => {
    const run = runCli(["build", "--verbose", "--config", example1, "--out", path.join(scratch, "verbose")]);
    assert.equal(run.status, 0);
    assert.match(run.stderr, /^wrote workerd\/config\.capnp$/m);
  });
});

describe("check command", () => {
  test("valid config", () => {
    const run = runCli(["check", "--config", example1]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /is valid\.$/m);
  });

  test("invalid config exits 1", () => {
    const file = path.join(freshDirectory("check-invalid"), "workerd-compose.config.json");
    writeFileSync(file, JSON.stringify({ compatibilityDate: "2024-12-01" }));
    const run = runCli(["check"], { cwd: path.dirname(file) });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /error \[missing-key\] sockets/);
  });
});

describe("schema command", () => {
  test("prints the schema file", () => {
    const run = runCli(["schema"]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, readFileSync(path.join(root, "schema/workerd-compose.schema.json"), "utf8"));
  });

  test("closed pipe ends quietly", () => {
    // `head -c 10` closes the pipe long before the schema is written.
    const script = `"${process.execPath}" "${cli}" schema | head -c 10 >/dev/null; echo "status \${PIPESTATUS[0]}"`;
    const run = spawnSync("bash", ["-c", script], { encoding: "utf8" });
    assert.equal(run.stderr, "");
    assert.match(run.stdout, /^status 0$/m);
  });
});

describe("graph command", () => {
  test("prints the topology of the build", () => {
    const run = runCli(["graph", "--config", example1]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^flowchart LR\n/);
    assert.match(run.stdout, /proxy -->\|"whoami\.example\.com"\| upstream0/);
    const topology = readFileSync(path.join(root, "fixtures/example1/expected/topology.md"), "utf8");
    assert.ok(topology.includes(`\`\`\`mermaid\n${run.stdout}\`\`\``), topology);
  });

  test("locates errors in JSON configs", () => {
    const file = path.join(freshDirectory("graph-error"), "proxy.json");
    const config = {
      compatibilityDate: "2024-12-01",
      sockets: [{ name: "http", port: 80 }],
      networks: [{ name: "mynet" }],
      upstreams: [{ name: "whoami", address: "127.0.0.1:8080" }],
      routes: [{ host: "whoami.example.com", upstream: "whoamy" }],
      deployment: { target: "quadlet", image: "localhost/workerd", network: "mynet" },
    };
    writeFileSync(file, JSON.stringify(config, null, 2));
    const run = runCli(["graph", "--config", file]);
    assert.equal(run.status, 1);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /proxy\.json:\d+:\d+: error \[unknown-upstream\] routes\[0\]\.upstream/);
  });
});

describe("init command", () => {
  for (const format of ["ts", "json", "yaml"]) {
    test(`${format} starter passes check`, () => {
      const directory = freshDirectory(`init-${format}`);
      const run = runCli(["init", "--format", format], { cwd: directory });
      assert.equal(run.status, 0, run.stderr);
      const file = path.join(directory, `workerd-compose.config.${format}`);
      assert.ok(existsSync(file));
      if (format !== "ts") {
        assert.match(readFileSync(file, "utf8"), /\$schema/);
      }
      const check = runCli(["check"], { cwd: directory });
      assert.equal(check.status, 0, check.stderr);
    });
  }

  test("refuses to overwrite", () => {
    const directory = freshDirectory("init-twice");
    writeFileSync(path.join(directory, "workerd-compose.config.ts"), "// mine\n");
    const run = runCli(["init"], { cwd: directory });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /already exists/);
    assert.equal(readFileSync(path.join(directory, "workerd-compose.config.ts"), "utf8"), "// mine\n");
  });

  test("refuses beside another config", () => {
    const directory = freshDirectory("init-other");
    writeFileSync(path.join(directory, "workerd-compose.config.yaml"), "{}\n");
    const run = runCli(["init", "--format", "ts"], { cwd: directory });
    assert.equal(run.status, 1);
    assert.equal(existsSync(path.join(directory, "workerd-compose.config.ts")), false);
  });
});

describe("serve command", () => {
  test("answers a request on its port", async () => {
    const echo = await startEchoServer();
    const port = await freePort();
    const { child, match } = await startCli(
      ["serve", "--config", example1, "--port", String(port), "--external", `whoami=127.0.0.1:${echo.port}`],
      /socket http: (http:\/\/\S+)/,
    );
    try {
      assert.equal(match[1], `http://127.0.0.1:${port}`);
      const response = await request({ host: "127.0.0.1", port, hostHeader: "whoami.example.com", path: "/served" });
      assert.equal(response.status, 200);
      assert.equal(JSON.parse(response.body).url, "/served");
    } finally {
      assert.equal(await stop(child), 0);
      await echo.close();
    }
  });

  test("watch restarts after a change", async () => {
    const directory = freshDirectory("serve-watch");
    cpSync(path.join(root, "fixtures/raw-sockets"), directory, { recursive: true });
    rmSync(path.join(directory, "expected"), { recursive: true });
    const port = await freePort();
    const { child, stderr } = await startCli(
      ["serve", "--watch", "--config", "workerd-compose.config.ts", "--port", String(port)],
      /Watching for changes/,
      directory,
    );
    try {
      // The raw socket "plain" is the second socket, so it takes port + 1.
      const plain = { host: "127.0.0.1", port: port + 1, hostHeader: "a.local" };
      assert.equal((await request(plain)).body, "hello over http\n");

      const worker = path.join(directory, "hello.js");
      writeFileSync(worker, readFileSync(worker, "utf8").replace("hello over", "changed over"));
      let body = "";
      for (let attempt = 0; attempt < 100 && body !== "changed over http\n"; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        body = await request(plain).then((response) => response.body, () => "");
      }
      assert.equal(body, "changed over http\n", stderr());
      assert.match(stderr(), /hello\.js changed; restarted workerd\./);
    } finally {
      assert.equal(await stop(child), 0);
    }
  });

  test("config error exits 1", () => {
    const file = path.join(freshDirectory("serve-invalid"), "workerd-compose.config.json");
    writeFileSync(file, "{}");
    const run = runCli(["serve", "--config", file]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /missing-key/);
  });
});

describe("output conventions", () => {
  test("no colour when piped", () => {
    const run = runCli(["check", "--config", "missing.ts"]);
    assert.equal(run.status, 1);
    assert.doesNotMatch(run.stderr, /\u001b\[/);
  });

  // script(1) runs the command on a pseudo-terminal, as a user's shell does.
  function onTerminal(env: NodeJS.ProcessEnv): string {
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} check --config missing.ts`;
    const run = spawnSync("script", ["-qec", command, "/dev/null"], { cwd: root, env, encoding: "utf8" });
    assert.equal(run.status, 1, run.stdout);
    return run.stdout;
  }

  test("colour on a terminal", () => {
    const env = { ...process.env };
    delete env.NO_COLOR;
    assert.match(onTerminal(env), /\u001b\[31merror\u001b\[39m/);
  });

  test("NO_COLOR disables colour", () => {
    assert.doesNotMatch(onTerminal({ ...process.env, NO_COLOR: "1" }), /\u001b\[/);
  });

  test("completion script", () => {
    const run = runCli(["completion"]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /workerd-compose --get-yargs-completions/);
  });

  test("help has examples for each command", () => {
    for (const command of ["build", "check", "schema", "graph", "init", "serve"]) {
      const run = runCli([command, "--help"]);
      assert.equal(run.status, 0, command);
      assert.match(run.stdout, /Examples:/, command);
    }
  });
});
