// Benchmarks of the compiler and of the proxies it generates. Every figure is
// a ratio of two measurements taken side by side in the same run, because the
// machines this runs on are shared and their absolute speed varies. Writes
// bench/results.md. Run with `npm run bench` (it builds dist/ first).
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);
const workerdBinary = path.join(path.dirname(require.resolve("workerd/package.json")), "bin", "workerd");
const cli = path.join(root, "bin/workerd-compose.js");
const scratch = mkdtempSync(path.join(os.tmpdir(), "workerd-compose-bench-"));

const { compile } = await import(path.join(root, "dist/compiler/index.js"));

const settings = {
  startupRuns: Number(process.env.BENCH_STARTUP_RUNS ?? 15),
  scalingRuns: Number(process.env.BENCH_SCALING_RUNS ?? 5),
  loadSeconds: Number(process.env.BENCH_LOAD_SECONDS ?? 8),
  loadRounds: Number(process.env.BENCH_LOAD_ROUNDS ?? 3),
  instructionSeconds: Number(process.env.BENCH_INSTRUCTION_SECONDS ?? 10),
  connections: 32,
};

// With two cores or more, the proxy under test gets core 0 and everything
// else (load generator, upstream) core 1, so that the proxy is what limits
// the rate and its own cost is what the ratios compare.
const pinning = os.cpus().length >= 2 && !spawnSync("taskset", ["--version"]).error;

/** Prefixes a command with taskset when pinning, so that it runs on `core`. */
function onCore(core, file, args) {
  return pinning ? ["taskset", ["-c", String(core), file, ...args]] : [file, args];
}

function log(message) {
  process.stderr.write(`${message}\n`);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function timeCommand(file, args) {
  const start = process.hrtime.bigint();
  const run = spawnSync(file, args, { cwd: root, encoding: "utf8" });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (run.status !== 0) {
    throw new Error(`${file} ${args.join(" ")} failed with status ${run.status}:\n${run.stderr}`);
  }
  return elapsed;
}

/** A config with `count` routes to one upstream, in the shape of fixtures/example1. */
function configWithRoutes(count, upstreamAddress = "127.0.0.1:8080") {
  return {
    compatibilityDate: "2024-12-01",
    sockets: [{ name: "http", port: 80 }],
    networks: [{ name: "mynet" }],
    upstreams: [{ name: "whoami", address: upstreamAddress }],
    routes: Array.from({ length: count }, (_, index) => ({
      host: index === 0 ? "whoami.example.com" : `host${index}.example.com`,
      upstream: "whoami",
    })),
    deployment: { target: "quadlet", image: "localhost/workerd", network: "mynet" },
  };
}

// --- compiler start-up -------------------------------------------------------

function measureStartup() {
  log("measuring compiler start-up …");
  const outDir = path.join(scratch, "startup-out");
  const tsConfig = "fixtures/example1/workerd-compose.config.ts";
  const jsonConfig = path.join(scratch, "example1.json");
  const example1 = JSON.parse(
    spawnSync(process.execPath, ["--input-type=module", "-e", `
      const { loadConfigFile } = await import(${JSON.stringify(path.join(root, "dist/compiler/index.js"))});
      const loaded = await loadConfigFile(${JSON.stringify(path.join(root, tsConfig))});
      process.stdout.write(JSON.stringify(loaded.value));`], { encoding: "utf8" }).stdout,
  );
  writeFileSync(jsonConfig, JSON.stringify(example1, null, 2));

  const samples = { node: [], ts: [], json: [] };
  // Interleaved, so that a slow moment of the machine hits all three alike.
  for (let run = 0; run < settings.startupRuns; run++) {
    samples.node.push(timeCommand(process.execPath, ["-e", "0"]));
    samples.ts.push(timeCommand(process.execPath, [cli, "build", "--config", tsConfig, "--out", outDir]));
    samples.json.push(timeCommand(process.execPath, [cli, "build", "--config", jsonConfig, "--out", outDir]));
  }
  const node = median(samples.node);
  return {
    node,
    ts: median(samples.ts),
    json: median(samples.json),
    tsRatio: median(samples.ts) / node,
    jsonRatio: median(samples.json) / node,
  };
}

// --- compile time against the number of routes ------------------------------

function measureScaling() {
  log("measuring compile time against route count …");
  const counts = [10, 100, 1000, 10000];
  const rows = [];
  compile(configWithRoutes(10)); // warm up the JIT
  for (const count of counts) {
    const config = configWithRoutes(count);
    const samples = [];
    for (let run = 0; run < settings.scalingRuns; run++) {
      const start = process.hrtime.bigint();
      const result = compile(config);
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (result.diagnostics.length > 0) {
        throw new Error(`compile of ${count} routes failed: ${JSON.stringify(result.diagnostics[0])}`);
      }
    }
    rows.push({ count, ms: median(samples) });
  }

  // The whole command for 10,000 routes, start-up included.
  const file = path.join(scratch, "routes-10000.json");
  writeFileSync(file, JSON.stringify(configWithRoutes(10000)));
  const cliSamples = [];
  for (let run = 0; run < settings.scalingRuns; run++) {
    cliSamples.push(timeCommand(process.execPath, [cli, "build", "--config", file, "--out", path.join(scratch, "routes-out")]));
  }
  return { rows, cli10000: median(cliSamples) };
}

// --- requests per second through workerd -------------------------------------

async function freePort() {
  const server = net.createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

async function waitForPort(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const socket = net.connect({ host: "127.0.0.1", port });
      await once(socket, "connect");
      socket.destroy();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`workerd did not listen on port ${port}: ${error}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function startWorkerd(args, core = 1) {
  const child = spawn(...onCore(core, workerdBinary, ["serve", ...args]), { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return {
    stderr: () => stderr,
    stop: () => stopProcess(child),
  };
}

/** Sends SIGINT to a child process that still runs and waits until it exits. */
async function stopProcess(child) {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, "exit");
    child.kill("SIGINT");
    await exited;
  }
}

/** Writes a config.capnp next to its worker module and returns its path. */
function writeCapnp(directory, capnp, modules = {}) {
  rmSync(directory, { recursive: true, force: true });
  spawnSync("mkdir", ["-p", directory]);
  for (const [name, source] of Object.entries(modules)) {
    writeFileSync(path.join(directory, name), source);
  }
  writeFileSync(path.join(directory, "config.capnp"), capnp);
  return path.join(directory, "config.capnp");
}

/** Writes the generated tree for `config` and returns the path of its config.capnp. */
function writeGenerated(directory, config) {
  const result = compile(config);
  if (result.diagnostics.some((diagnostic) => diagnostic.severity === "error")) {
    throw new Error(`compile failed: ${JSON.stringify(result.diagnostics)}`);
  }
  for (const file of result.files) {
    const target = path.join(directory, file.path);
    spawnSync("mkdir", ["-p", path.dirname(target)]);
    writeFileSync(target, file.contents);
  }
  return path.join(directory, "workerd/config.capnp");
}

function loadTool() {
  return spawnSync("wrk", ["--version"]).error ? "autocannon" : "wrk";
}

/**
 * Reads the number of requests and the rate from wrk's report. Throws when
 * a response was not 2xx or 3xx, or when the report is not in wrk's format.
 */
function parseWrkOutput(output) {
  if (/Non-2xx or 3xx responses/.test(output)) {
    throw new Error(`wrk received error responses:\n${output}`);
  }
  const requests = /(\d+) requests in/.exec(output);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(output);
  if (!requests || !rate) {
    throw new Error(`unexpected wrk output:\n${output}`);
  }
  return { requests: Number(requests[1]), rate: Number(rate[1]) };
}

/** Sends load for `seconds` and returns requests per second with a 2xx response. */
async function generateLoad(port, host, seconds) {
  if (loadTool() === "wrk") {
    const run = spawnSync(
      ...onCore(1, "wrk", [
        "-t1",
        `-c${settings.connections}`,
        `-d${seconds}s`,
        "-H",
        `Host: ${host}`,
        `http://127.0.0.1:${port}/`,
      ]),
      { encoding: "utf8" },
    );
    return parseWrkOutput(`${run.stdout}${run.stderr}`).rate;
  }
  const autocannon = (await import("autocannon")).default;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/`,
    connections: settings.connections,
    duration: seconds,
    headers: { host },
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`autocannon received ${result.non2xx} error responses and ${result.errors} errors`);
  }
  return result.requests.average;
}

async function measureThroughput() {
  log(`measuring requests per second with ${loadTool()} …`);
  const upstreamPort = await freePort();
  const upstreamConfig = writeCapnp(
    path.join(scratch, "upstream"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = (compatibilityDate = "2024-12-01", modules = [(name = "main", esModule = embed "main.js")]))],
  sockets = [(name = "http", address = "127.0.0.1:${upstreamPort}", http = (), service = "main")],
);
`,
    { "main.js": 'export default { fetch() { return new Response("ok"); } };\n' },
  );
  const upstream = startWorkerd([upstreamConfig]);
  await waitForPort(upstreamPort);

  const upstreamAddress = `127.0.0.1:${upstreamPort}`;
  const variants = [
    {
      name: "generated example1 proxy",
      host: "whoami.example.com",
      config: writeGenerated(path.join(scratch, "example1"), configWithRoutes(1, upstreamAddress)),
    },
    {
      name: "minimal pass-through worker",
      host: "whoami.example.com",
      config: writeCapnp(
        path.join(scratch, "minimal"),
        `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = (compatibilityDate = "2024-12-01", modules = [(name = "main", esModule = embed "main.js")], bindings = [(name = "upstream", service = "upstream")])),
    (name = "upstream", external = (address = "${upstreamAddress}", http = ())),
  ],
  sockets = [(name = "http", http = (), service = "main")],
);
`,
        { "main.js": "export default { fetch(request, env) { return env.upstream.fetch(request); } };\n" },
      ),
    },
    {
      name: "generated proxy, 10,000 hosts",
      host: "host5000.example.com",
      config: writeGenerated(path.join(scratch, "hosts-10000"), configWithRoutes(10000, upstreamAddress)),
    },
    {
      name: "socket → external, no worker",
      host: "whoami.example.com",
      // The generated direct path: the socket bound to the upstream, forwarding headers off.
      config: writeGenerated(path.join(scratch, "native"), {
        ...configWithRoutes(1, upstreamAddress),
        sockets: [{ name: "http", port: 80, upstream: "whoami" }],
        forwarded: { xForwardedFor: false, xForwardedHost: false, xForwardedProto: false },
      }),
    },
  ];

  const samples = new Map(variants.map((variant) => [variant.name, []]));
  let instances;
  let instructions;
  try {
    // Rounds interleave the variants, so that a slow moment hits all alike.
    for (let round = 0; round < settings.loadRounds; round++) {
      for (const variant of variants) {
        const port = await freePort();
        const proxy = startWorkerd(["--socket-addr", `http=127.0.0.1:${port}`, variant.config], 0);
        try {
          await waitForPort(port);
          await generateLoad(port, variant.host, 1); // warm-up
          samples.get(variant.name).push(await generateLoad(port, variant.host, settings.loadSeconds));
        } finally {
          await proxy.stop();
        }
        log(`  ${variant.name}: ${samples.get(variant.name).at(-1).toFixed(0)} requests/s`);
      }
    }
    instances = await measureInstances(upstreamAddress);
    if (canCountInstructions()) {
      const config = (name) => variants.find((variant) => variant.name === name).config;
      instructions = await measureInstructions([
        { name: "minimal pass-through worker", host: "whoami.example.com", config: config("minimal pass-through worker") },
        { name: "generated example1 proxy", host: "whoami.example.com", config: config("generated example1 proxy") },
        { name: "generated proxy, 10,000 hosts", host: "host5000.example.com", config: config("generated proxy, 10,000 hosts") },
        {
          name: "minimal pass-through worker, one more header from the client",
          host: "whoami.example.com",
          headers: ["X-Request-Id: 4bf92f3577b34da6"],
          config: config("minimal pass-through worker"),
        },
        {
          name: "generated proxy, only the Forwarded header",
          host: "whoami.example.com",
          config: writeGenerated(path.join(scratch, "forwarded-only"), {
            ...configWithRoutes(1, upstreamAddress),
            forwarded: { xForwardedFor: false, xForwardedHost: false, xForwardedProto: false, forwarded: true },
          }),
        },
      ]);
    }
  } finally {
    await upstream.stop();
  }
  return {
    variants: variants.map((variant) => ({ name: variant.name, rps: median(samples.get(variant.name)) })),
    instances,
    instructions,
  };
}

// --- instructions per request ------------------------------------------------

function canCountInstructions() {
  return !spawnSync("valgrind", ["--version"]).error && !spawnSync("wrk", ["--version"]).error;
}

/** Runs a command and resolves with its standard output; rejects when it fails. */
function run(file, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) =>
      status === 0 ? resolve(stdout) : reject(new Error(`${file} ${args.join(" ")} failed:\n${stderr}`)),
    );
  });
}

/** Sends requests one at a time for `seconds` and returns how many received a response. */
async function countRequests(port, host, headers, seconds) {
  const headerArgs = [`Host: ${host}`, ...headers].flatMap((header) => ["-H", header]);
  const stdout = await run("wrk", ["-t1", "-c1", `-d${seconds}s`, ...headerArgs, `http://127.0.0.1:${port}/`]);
  return parseWrkOutput(stdout).requests;
}

/**
 * Returns the instructions that the proxy's workerd process executes per
 * request, as valgrind's callgrind counts them. The count varies far less
 * with what else the machine is doing than a rate, so it shows differences
 * that the noise of a shared machine hides. It leaves out the kernel's share
 * of the work, which is alike for every variant.
 */
async function countInstructions(config, host, headers = []) {
  const port = await freePort();
  const output = path.join(scratch, `callgrind-${port}.out`);
  const args = ["serve", "--socket-addr", `http=127.0.0.1:${port}`, config];
  const child = spawn(
    "valgrind",
    ["--tool=callgrind", "--smc-check=all-non-file", `--callgrind-out-file=${output}`, workerdBinary, ...args],
    { stdio: "ignore" },
  );
  try {
    await waitForPort(port, 120_000);
    await countRequests(port, host, headers, 8); // warm-up, so that V8 optimises the worker
    await run("callgrind_control", ["--zero", String(child.pid)]);
    const requests = await countRequests(port, host, headers, settings.instructionSeconds);
    await run("callgrind_control", ["--dump", String(child.pid)]);
    const totals = /^totals: (\d+)$/m.exec(readFileSync(`${output}.1`, "utf8"));
    if (!totals) {
      throw new Error(`no totals in ${output}.1`);
    }
    return Number(totals[1]) / requests;
  } finally {
    await stopProcess(child);
  }
}

/**
 * Counts instructions per request for each variant, one at a time: two
 * processes under valgrind at once on two cores gave counts a few percent
 * apart from the same variant's count measured alone.
 */
async function measureInstructions(variants) {
  log("counting instructions per request with callgrind …");
  const results = [];
  for (const variant of variants) {
    const instructions = await countInstructions(variant.config, variant.host, variant.headers);
    results.push({ name: variant.name, instructions });
    log(`  ${variant.name}: ${Math.round(instructions)} instructions per request`);
  }
  return results;
}

/**
 * Requests per second of N workerd processes sharing one port through
 * SO_REUSEPORT listeners, started the way the template units of
 * `instances: N` start them.
 */
async function measureInstances(upstreamAddress) {
  log("measuring instances sharing a port …");
  const launcher = path.join(root, "test/support/reuseport-activate.py");
  const config = writeGenerated(path.join(scratch, "instances"), {
    ...configWithRoutes(1, upstreamAddress),
    deployment: { target: "systemd", instances: 2 },
  });
  const samples = new Map([
    [1, []],
    [2, []],
  ]);
  for (let round = 0; round < settings.loadRounds; round++) {
    for (const count of samples.keys()) {
      const port = await freePort();
      const processes = Array.from({ length: count }, () =>
        spawn("python3", [launcher, `127.0.0.1:${port}`, "--", workerdBinary, "serve", "--socket-fd", "http=3", config], {
          stdio: "ignore",
        }),
      );
      try {
        await waitForPort(port);
        await new Promise((resolve) => setTimeout(resolve, 500)); // let every instance start
        await generateLoad(port, "whoami.example.com", 1);
        samples.get(count).push(await generateLoad(port, "whoami.example.com", settings.loadSeconds));
      } finally {
        for (const child of processes) {
          await stopProcess(child);
        }
      }
      log(`  ${count} instance(s): ${samples.get(count).at(-1).toFixed(0)} requests/s`);
    }
  }
  return [...samples].map(([count, values]) => ({ count, rps: median(values) }));
}

// --- results -----------------------------------------------------------------

function workerdVersion() {
  return spawnSync(workerdBinary, ["--version"], { encoding: "utf8" }).stdout.trim();
}

function formatResults(startup, scaling, { variants: throughput, instances, instructions }) {
  const packageVersion = JSON.parse(readFileSync(path.join(root, "node_modules/workerd/package.json"), "utf8")).version;
  const rate = (name) => throughput.find((row) => row.name === name).rps;
  const minimal = rate("minimal pass-through worker");
  const example1 = rate("generated example1 proxy");
  const perRoute = scaling.rows.map((row) => row.ms / row.count);

  const lines = [
    "# Benchmark results",
    "",
    `Written by \`npm run bench\` (bench/run.mjs) on ${new Date().toISOString().slice(0, 10)}.`,
    "",
    `- Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown CPU"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    `- Node ${process.version}, ${workerdVersion()} (npm package workerd ${packageVersion})`,
    `- Load generator: ${loadTool()}, ${settings.connections} connections, ${settings.loadSeconds} s per run, median of ${settings.loadRounds} rounds; the load generator, the proxy and the upstream (workerd returning "ok") share the machine`,
    pinning
      ? "- The proxy under test runs on core 0; the load generator and the upstream run on core 1"
      : "- Processes are not pinned to cores (taskset is missing or the machine has one core)",
    "",
    "Each figure is a ratio of measurements taken side by side in the same run.",
    "",
    "## Compiler start-up",
    "",
    `Median of ${settings.startupRuns} runs of the command, \`node -e 0\` interleaved.`,
    "",
    "| command | median | ratio to `node -e 0` | target |",
    "| --- | --- | --- | --- |",
    `| \`node -e 0\` | ${startup.node.toFixed(1)} ms | 1.00 | |`,
    `| \`workerd-compose build\` fixtures/example1 (.ts config) | ${startup.ts.toFixed(1)} ms | ${startup.tsRatio.toFixed(2)} | ≤ 2.5 |`,
    `| \`workerd-compose build\` example1 as JSON | ${startup.json.toFixed(1)} ms | ${startup.jsonRatio.toFixed(2)} | |`,
    "",
    "## Compile time against the number of routes",
    "",
    `In-process \`compile()\`, median of ${settings.scalingRuns} runs after a warm-up.`,
    "",
    "| routes | compile() | per route | per route relative to 10 routes |",
    "| --- | --- | --- | --- |",
    ...scaling.rows.map(
      (row, index) =>
        `| ${row.count} | ${row.ms.toFixed(2)} ms | ${(perRoute[index] * 1000).toFixed(2)} µs | ${(perRoute[index] / perRoute[0]).toFixed(2)} |`,
    ),
    "",
    `The whole command for 10,000 routes (JSON config, start-up included): ${scaling.cli10000.toFixed(0)} ms (target ≤ 1000 ms).`,
    "",
    "## Requests per second through workerd",
    "",
    "| proxy | requests/s | ratio to minimal pass-through | target |",
    "| --- | --- | --- | --- |",
    ...throughput.map((row) => {
      const target =
        row.name === "generated example1 proxy"
          ? "≥ 0.95"
          : row.name === "socket → external, no worker"
            ? "≥ 2× the generated proxy"
            : row.name.includes("10,000")
              ? "≥ 0.95× the 1-host proxy"
              : "";
      return `| ${row.name} | ${row.rps.toFixed(0)} | ${(row.rps / minimal).toFixed(2)} | ${target} |`;
    }),
    "",
    `- 10,000 hosts against one host: ${(rate("generated proxy, 10,000 hosts") / example1).toFixed(2)}`,
    `- socket → external against the generated proxy: ${(rate("socket → external, no worker") / example1).toFixed(2)}`,
    "",
    ...formatInstructions(instructions),
    "## Instances sharing a port",
    "",
    "The generated proxy as N processes with SO_REUSEPORT listeners on one port (`instances: N`), started as the template socket units start them.",
    "",
    "| instances | requests/s | ratio to 1 instance |",
    "| --- | --- | --- |",
    ...instances.map((row) => `| ${row.count} | ${row.rps.toFixed(0)} | ${(row.rps / instances[0].rps).toFixed(2)} |`),
    "",
    "On 2 cores the load generator and the upstream compete with the instances for the CPU, so this ratio is a lower bound of what more cores give.",
    "",
  ];
  return lines.join("\n");
}

function formatInstructions(instructions) {
  if (instructions === undefined) {
    return ["## Instructions per request", "", "Not measured: valgrind or wrk is missing.", ""];
  }
  const count = (name) => instructions.find((row) => row.name === name).instructions;
  const minimal = count("minimal pass-through worker");
  const perHeader = count("minimal pass-through worker, one more header from the client") - minimal;
  return [
    "## Instructions per request",
    "",
    `Instructions of the proxy's workerd process per request, counted by valgrind's callgrind over ${settings.instructionSeconds} s of requests sent one at a time, after a warm-up. The count varies far less with the machine's load than a rate does (by 1 to 2% here), and it leaves out the kernel's work, so its ratios are a little lower than those of the rates above.`,
    "",
    "| proxy | instructions per request | ratio of the pass-through's count to this one |",
    "| --- | --- | --- |",
    ...instructions.map(
      (row) => `| ${row.name} | ${Math.round(row.instructions)} | ${(minimal / row.instructions).toFixed(2)} |`,
    ),
    "",
    `- 10,000 hosts against one host: ${(count("generated example1 proxy") / count("generated proxy, 10,000 hosts")).toFixed(2)}`,
    "",
    `One more request header costs the pass-through worker ${Math.round(perHeader)} instructions (${((perHeader / minimal) * 100).toFixed(1)}%). The generated proxy copies the request and adds three headers (X-Forwarded-For, X-Forwarded-Host, X-Forwarded-Proto) that the upstream receives; with only the Forwarded header switched on it adds one.`,
    "",
  ];
}

try {
  const startup = measureStartup();
  const scaling = measureScaling();
  const throughput = await measureThroughput();
  const text = formatResults(startup, scaling, throughput);
  writeFileSync(path.join(root, "bench/results.md"), text);
  process.stdout.write(text);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
