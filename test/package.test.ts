/**
 * The package as users get it: `npm pack`, installed from the tarball into
 * an empty directory (its dependencies come from the npm registry), then the
 * installed command and an import of the library, JavaScript and TypeScript.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), "workerd-compose-package-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const project = path.join(scratch, "project");
const npm = (args: string[], cwd: string) => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

describe("packed tarball", () => {
  before(() => {
    // dist/ is already built by npm test, so pack needs no prepare script.
    const packed = JSON.parse(npm(["pack", "--ignore-scripts", "--json", "--pack-destination", scratch], root)) as {
      filename: string;
    }[];
    const tarball = path.join(scratch, packed[0]!.filename);

    mkdirSync(project);
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    npm(["install", "--no-audit", "--no-fund", tarball], project);
  });

  test("bin builds a starter config", () => {
    const bin = path.join(project, "node_modules/.bin/workerd-compose");
    const init = spawnSync(bin, ["init"], { cwd: project, encoding: "utf8" });
    assert.equal(init.status, 0, init.stderr);
    const built = spawnSync(bin, ["build", "--binary"], { cwd: project, encoding: "utf8" });
    assert.equal(built.status, 0, built.stderr);
    assert.match(readFileSync(path.join(project, "out/workerd/config.capnp"), "utf8"), /const config :Workerd\.Config/);
    assert.ok(readFileSync(path.join(project, "out/workerd/config.bin")).length > 0);
  });

  test("library import compiles a config", () => {
    const script = path.join(project, "use-library.mjs");
    writeFileSync(
      script,
      [
        'import { compile, defineConfig, encodeBinaryConfig } from "workerd-compose";',
        "const config = defineConfig({",
        '  compatibilityDate: "2024-12-01",',
        '  sockets: [{ name: "http", port: 80 }],',
        '  networks: [{ name: "net" }],',
        '  upstreams: [{ name: "app", address: "10.0.0.1:80" }],',
        '  routes: [{ host: "app.example.com", upstream: "app" }],',
        '  deployment: { target: "quadlet", image: "localhost/workerd", network: "net" },',
        "});",
        "const result = compile(config);",
        "const bytes = await encodeBinaryConfig(result);",
        "console.log(JSON.stringify({ files: result.files.map((file) => file.path), bytes: bytes.length }));",
      ].join("\n"),
    );
    const output = JSON.parse(execFileSync(process.execPath, [script], { cwd: project, encoding: "utf8" }));
    assert.ok(output.files.includes("workerd/config.capnp"), output.files.join(", "));
    assert.ok(output.bytes > 0);
  });

  test("type declarations check", () => {
    const file = path.join(project, "use-types.ts");
    writeFileSync(
      file,
      [
        'import { defineConfig, type CompileResult, type Worker_Binding } from "workerd-compose";',
        'const binding: Worker_Binding = { name: "GREETING", text: "hello" };',
        "// @ts-expect-error: compatibilityDate must be a string",
        "defineConfig({ compatibilityDate: 1 });",
        "export const used: [Worker_Binding, CompileResult | undefined] = [binding, undefined];",
      ].join("\n"),
    );
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const run = spawnSync(
      process.execPath,
      [tsc, "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--skipLibCheck", file],
      { cwd: project, encoding: "utf8" },
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
  });
});
