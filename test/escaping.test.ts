/**
 * Property tests for every encoder that puts a string into an output file,
 * each checked by the program that reads that file: workerd for config.capnp
 * and the worker modules, systemd-analyze for unit files, sh for the start
 * script. Each property run packs a batch of generated strings into one file
 * and one process start, so the run stays short.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";

import fc from "fast-check";

import type { ResolvedConfig } from "../compiler/config/resolved.js";
import { printCapnpConfig } from "../compiler/emit/capnp.js";
import { printUnitFile } from "../compiler/emit/unit.js";
import { shellQuote } from "../compiler/lower/nsenter-script.js";
import { generateWorkerModules } from "../compiler/lower/worker-modules.js";
import { resolveConfig } from "../compiler/resolve/index.js";
import { UnitValue, type UnitFile } from "../compiler/model/unit.js";
import { Embed, type Config } from "../compiler/model/workerd.js";
import { containsNoncharacter } from "../compiler/util/unicode.js";
import { freePort, request, startProcess, waitForPort, workerdBinary } from "./support/processes.js";

const scratch = mkdtempSync(path.join(tmpdir(), "workerd-compose-escaping-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Property runs per consumer; each run is one batch of strings and one process start. */
const runs = 5;
const batch = { minLength: 40, maxLength: 80 };
const generated = new Map<string, number>();

function count(consumer: string, strings: number): void {
  generated.set(consumer, (generated.get(consumer) ?? 0) + strings);
}


/** Characters that each output format treats specially, mixed into otherwise random text. */
const special = fc.constantFrom(
  '"', "'", "\\", "`", "$", "%", ";", "#", "=", "{", "}", "(", ")", "[", "]", "*", "?", "~", "&", "|", "<", ">",
  " ", "\t", "\n", "\r", "\0", "\x01", "\x1b", "\x7f", "\u0085", "\u00a0", "\u2028", "\u2029", "\u202e",
  "é", "ß", "日本", "\ufdd0", "\uffff", "\u{10fffe}", "🙂", "👨‍👩‍👧", "\\n", "\\x41", "\\u0041", "%%", "$$", "${HOME}", "%h", "*/", "</script>",
);

/** Any well-formed Unicode string, biased towards the special characters above. */
const anyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.array(fc.oneof(special, fc.string({ unit: "grapheme", maxLength: 4 })), { maxLength: 12 }).map((parts) => parts.join("")),
);

function uniqueBatch(text: fc.Arbitrary<string>) {
  return fc.uniqueArray(text, batch);
}

async function serveAndFetch(config: Config, directory: string, port: number): Promise<string> {
  const file = path.join(directory, "config.capnp");
  writeFileSync(file, printCapnpConfig(config));
  const workerd = startProcess(workerdBinary, ["serve", file]);
  try {
    await waitForPort("127.0.0.1", port);
    const response = await request({ host: "127.0.0.1", port, hostHeader: "localhost" });
    assert.equal(response.status, 200, `${response.body}\n${workerd.output()}`);
    return response.body;
  } finally {
    await workerd.stop();
  }
}

describe("workerd reads back", () => {
  test("config.capnp text bindings", async () => {
    await fc.assert(
      fc.asyncProperty(uniqueBatch(anyText), async (strings) => {
        count("config.capnp", strings.length);
        const directory = mkdtempSync(path.join(scratch, "capnp-"));
        const port = await freePort();

        // Each string is a binding's value, and also the name of another
        // binding, so both kinds of field go through the encoder.
        // "__proto__" would name the prototype of the env object, not a binding.
        const bindings = strings.flatMap((text, index) => [
          { name: `value${index}`, text },
          ...(text === "__proto__" ? [] : [{ name: text, text: String(index) }]),
        ]);
        const worker = [
          "export default {",
          "  fetch(request, env) {",
          "    return new Response(JSON.stringify(env));",
          "  },",
          "};",
        ].join("\n");
        const config: Config = {
          services: [
            {
              name: "main",
              worker: { compatibilityDate: "2024-12-01", modules: [{ name: "worker", esModule: worker }], bindings },
            },
          ],
          sockets: [{ name: "http", address: `127.0.0.1:${port}`, service: "main", http: {} }],
        };

        const env = JSON.parse(await serveAndFetch(config, directory, port)) as Record<string, string>;
        strings.forEach((text, index) => {
          assert.equal(env[`value${index}`], text, `value of binding ${index}`);
          if (text !== "__proto__") {
            assert.equal(env[text], String(index), `name of binding ${index}`);
          }
        });
      }),
      { numRuns: runs },
    );
  });

  test("fetch.js route tables", async () => {
    await fc.assert(
      fc.asyncProperty(uniqueBatch(anyText), async (strings) => {
        count("fetch.js", strings.length);
        const directory = mkdtempSync(path.join(scratch, "fetch-js-"));
        const port = await freePort();

        // The tables as the generator prints them, with every host name,
        // path prefix, upstream name and Host header taken from the batch.
        const resolved = resolvedWithStrings(strings);
        const modules = generateWorkerModules(resolved);
        const tables = [...modules.fetchJs.matchAll(/^const (\w+) = new Map\(/gm)].map((match) => match[1]!);
        assert.ok(tables.includes("hosts"), "fetch.js has no hosts table");
        writeFileSync(path.join(directory, "fetch.js"), `${modules.fetchJs}\nexport { ${tables.join(", ")} };\n`);
        writeFileSync(path.join(directory, "library.js"), modules.libraryJs);

        const harness = [
          `import { ${tables.join(", ")} } from "fetch";`,
          "export default {",
          "  fetch() {",
          `    const tables = { ${tables.map((table) => `${table}: [...${table}]`).join(", ")} };`,
          "    return new Response(JSON.stringify(tables));",
          "  },",
          "};",
        ].join("\n");
        const config: Config = {
          services: [
            {
              name: "main",
              worker: {
                compatibilityDate: "2024-12-01",
                modules: [
                  { name: "harness", esModule: harness },
                  { name: "fetch", esModule: new Embed("fetch.js") },
                  { name: "library", esModule: new Embed("library.js") },
                ],
              },
            },
          ],
          sockets: [{ name: "http", address: `127.0.0.1:${port}`, service: "main", http: {} }],
        };

        const read = JSON.parse(await serveAndFetch(config, directory, port)) as Record<string, [string, string][]>;
        const next = (index: number) => strings[(index + 1) % strings.length]!;
        assert.deepEqual(read.hosts, strings.map((text, index) => [text, next(index)]));
        assert.deepEqual(read.pathPrefixes, strings.map((text, index) => [`${text}/${next(index)}`, text]));
        assert.deepEqual(read.fixedHosts, strings.map((text, index) => [text, next(index)]));
      }),
      { numRuns: runs },
    );
  });
});

/**
 * Builds a resolved config whose route hosts, path prefixes, upstream names
 * and Host headers are the given strings. It starts from a valid config, because the
 * generator reads a resolved config, and the strings skip validation on purpose.
 */
function resolvedWithStrings(strings: readonly string[]): ResolvedConfig {
  const resolved = resolveConfig({
    compatibilityDate: "2024-12-01",
    sockets: [{ name: "http", port: 80 }],
    upstreams: [{ name: "base", address: "10.0.0.1:80" }],
    routes: [{ host: "base.example", upstream: "base" }],
    deployment: { target: "systemd" },
  });
  const upstream = resolved.upstreams[0]!;
  const next = (index: number) => strings[(index + 1) % strings.length]!;
  resolved.upstreams = strings.map((name, index) => ({ ...upstream, name, hostHeader: next(index) }));
  resolved.routes = [
    ...strings.map((host, index) => ({ host, pathPrefix: undefined, upstream: next(index) })),
    ...strings.map((host, index) => ({ host, pathPrefix: `/${next(index)}`, upstream: host })),
  ];
  return resolved;
}

/** Creates a root file system for `systemd-analyze verify --root` that holds the host's standard units. */
function systemRoot(name: string): string {
  const root = path.join(scratch, name);
  mkdirSync(path.join(root, "usr/lib/systemd"), { recursive: true });
  cpSync("/lib/systemd/system", path.join(root, "usr/lib/systemd/system"), { recursive: true, verbatimSymlinks: true });
  mkdirSync(path.join(root, "etc/systemd/system"), { recursive: true });
  return root;
}

function verify(root: string, units: string[]): string {
  const run = spawnSync(
    "systemd-analyze",
    ["verify", "--man=no", `--root=${root}`, ...units.map((unit) => path.join(root, "etc/systemd/system", unit))],
    { encoding: "utf8", cwd: root },
  );
  return run.stdout + run.stderr;
}

function unitWith(entries: [string, UnitValue][]): UnitFile {
  return {
    listKeys: new Set(["AssertPathIsDirectory"]),
    sections: [
      { name: "Unit", entries: entries.filter(([key]) => key.startsWith("Assert")).map(([key, value]) => ({ key, value })) },
      { name: "Service", entries: entries.filter(([key]) => !key.startsWith("Assert")).map(([key, value]) => ({ key, value })) },
    ],
  };
}

/** A file name: no slash, not `.` or `..`, at most 255 bytes. */
const fileName = anyText.filter(
  (text) => text !== "" && text !== "." && text !== ".." && !text.includes("/") && Buffer.byteLength(text) <= 200,
);

describe("systemd reads back", () => {
  test("literal values are rejected or kept", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        count("unit value rules", 1);
        const unsafe = /[\x00-\x1f\x7f]|^\s|\s$|\\$/.test(text) || containsNoncharacter(text);
        if (unsafe) {
          assert.throws(() => UnitValue.literal(text));
        } else {
          assert.equal(UnitValue.literal(text).text, text.replace(/%/g, "%%"));
        }
      }),
      { numRuns: 500 },
    );
  });

  test("paths through AssertPathIsDirectory", () => {
    fc.assert(
      fc.property(uniqueBatch(fileName), (names) => {
        const root = mkdtempSync(path.join(scratch, "paths-"));
        // Blanks at the end and a final backslash cannot be written; blanks
        // at the start of a name are inside the path and harmless.
        const rejected = names.filter((name) => /[\x00-\x1f\x7f]|\s$|\\$/.test(name) || containsNoncharacter(name));
        for (const name of rejected) {
          assert.throws(() => UnitValue.pathWithHome(`/srv/${name}`), name);
        }
        const usable = names.filter((name) => !rejected.includes(name));
        count("unit paths", names.length);
        const directories = usable.map((name, index) => path.join(root, `case${index}`, name));
        for (const directory of directories) {
          mkdirSync(directory, { recursive: true });
        }

        // systemd-analyze condition parses each assignment as a unit file
        // line would be, expands specifiers and prints the value it checked.
        const encoded = directories.map((directory) => UnitValue.pathWithHome(directory).text);
        const run = spawnSync("systemd-analyze", ["condition", ...encoded.map((value) => `AssertPathIsDirectory=${value}`)], {
          encoding: "utf8",
        });
        const output = run.stdout + run.stderr;
        assert.equal(run.status, 0, output);
        // Split on "\n" only: a path may hold U+2028, which a regex with the m flag treats as a line end.
        const prefix = "test.service: AssertPathIsDirectory=";
        const checked = output
          .split("\n")
          .filter((line) => line.startsWith(prefix) && line.endsWith(" succeeded."))
          .map((line) => line.slice(prefix.length, -" succeeded.".length));
        assert.deepEqual(checked.sort(), [...directories].sort());
      }),
      { numRuns: runs },
    );
  });

  test("command arguments through ExecStart", () => {
    fc.assert(
      fc.property(uniqueBatch(fileName), (names) => {
        const root = systemRoot(`exec-${generated.get("ExecStart") ?? 0}`);
        // systemd rejects control characters, quotes and backslashes in an
        // executable path, and so does the encoder.
        const rejected = names.filter((name) => /[\x00-\x1f\x7f"'\\]/.test(name) || containsNoncharacter(name));
        for (const name of rejected) {
          assert.throws(() => UnitValue.exec([`/opt/${name}`]), name);
        }
        const usable = names.filter((name) => !rejected.includes(name));
        count("ExecStart", names.length);

        // verify complains unless the first argument names an executable, so
        // each stub's path must come back from the unit file unchanged.
        const units = usable.map((name, index) => {
          const executable = `/opt/cases/${index}/${name}`;
          mkdirSync(path.join(root, "opt/cases", String(index)), { recursive: true });
          writeFileSync(path.join(root, executable), "#!/bin/sh\n");
          chmodSync(path.join(root, executable), 0o755);
          const unit = unitWith([
            ["Type", UnitValue.literal("exec")],
            ["ExecStart", UnitValue.exec([executable, name, "%h", "$HOME"])],
            ["AssertPathIsDirectory", UnitValue.literal(`/opt/cases/${index}`)],
          ]);
          writeFileSync(path.join(root, "etc/systemd/system", `case${index}.service`), printUnitFile(unit));
          return `case${index}.service`;
        });
        assert.equal(verify(root, units), "");
        rmSync(root, { recursive: true, force: true });
      }),
      { numRuns: runs },
    );
  });
});

describe("sh reads back", () => {
  test("shellQuote words", () => {
    fc.assert(
      fc.property(uniqueBatch(anyText.filter((text) => !text.includes("\0"))), (words) => {
        count("sh", words.length);
        const script = `printf '%s\\0' ${words.map(shellQuote).join(" ")}\n`;
        for (const shell of ["sh", "bash"]) {
          const run = spawnSync(shell, ["-c", script], { encoding: "utf8" });
          assert.equal(run.status, 0, run.stderr);
          assert.deepEqual(run.stdout.split("\0").slice(0, -1), words, shell);
        }
      }),
      { numRuns: runs },
    );
  });

  test("NUL is rejected in shell words", () => {
    assert.throws(() => shellQuote("a\0b"), /NUL/);
  });
});

describe("generated cases", () => {
  test("every consumer saw a batch", (context) => {
    const total = [...generated.values()].reduce((sum, value) => sum + value, 0);
    const parts = [...generated].map(([consumer, strings]) => `${consumer} ${strings}`).join(", ");
    context.diagnostic(`${total} generated strings checked: ${parts}`);
    for (const consumer of ["config.capnp", "fetch.js", "unit value rules", "unit paths", "ExecStart", "sh"]) {
      assert.ok((generated.get(consumer) ?? 0) >= runs * batch.minLength || consumer === "unit value rules", consumer);
    }
  });
});
