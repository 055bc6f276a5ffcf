/** The install plan: destinations that agree with the units' paths, and commands that work. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { installPlanFile, printInstallPlan, topologyFile, type CompileResult, type InstallPlan } from "../compiler/index.js";
import { buildFixture, unitValues } from "./support/systemd.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), "workerd-compose-install-"));
const fixtures = readdirSync(path.join(root, "fixtures"), { withFileTypes: true })
  .filter((entry) => existsSync(path.join(root, "fixtures", entry.name, "workerd-compose.config.ts")))
  .map((entry) => entry.name)
  .sort();
after(() => rmSync(scratch, { recursive: true, force: true }));

function destinationOf(plan: InstallPlan, source: string): string {
  const file = plan.files.find((candidate) => candidate.source === source);
  assert.ok(file, `the plan does not install ${source}`);
  return file.destination;
}

function contentsOf(result: CompileResult, source: string): string {
  return result.files.find((file) => file.path === source)!.contents as string;
}

describe("install plan", () => {
  for (const name of fixtures) {
    test(`${name} plan installs every generated file`, async () => {
      const result = await buildFixture(name, path.join(scratch, `complete-${name}`));
      const plan = result.installPlan!;
      const planned = plan.files.map((file) => file.source).sort();
      const generated = result.files
        .map((file) => file.path)
        .filter((file) => file !== installPlanFile && file !== topologyFile);
      assert.deepEqual(planned, generated);
      assert.equal(contentsOf(result, installPlanFile), printInstallPlan(plan));
    });
  }

  test("host paths match the service", async () => {
    const result = await buildFixture("host", path.join(scratch, "host"));
    const plan = result.installPlan!;
    const service = contentsOf(result, "systemd/system/workerd.service");
    const configPath = destinationOf(plan, "workerd/config.capnp");
    assert.equal(path.dirname(configPath), unitValues(service, "Unit", "AssertPathIsDirectory")[0]);
    assert.equal(path.dirname(configPath), unitValues(service, "Service", "WorkingDirectory")[0]);
    assert.ok(unitValues(service, "Service", "ExecStart")[0]!.endsWith(` ${configPath}`));
    assert.equal(destinationOf(plan, "systemd/system/workerd.service"), "/etc/systemd/system/workerd.service");
    assert.deepEqual(plan.steps.map((step) => step.runAs), ["root"]);
    assert.equal(plan.steps[0]!.commands.at(-1), "systemctl enable --now workerd.socket");
  });

  test("nsenter paths match the service", async () => {
    const result = await buildFixture("example-nsenter", path.join(scratch, "nsenter"));
    const plan = result.installPlan!;
    const service = contentsOf(result, "systemd/system/workerd.service");
    const script = plan.files.find((file) => file.source === "workerd/workerd-nsenter.sh")!;
    assert.equal(script.destination, unitValues(service, "Service", "ExecStart")[0]);
    assert.equal(script.mode, 0o755);
    assert.equal(script.owner, "root:root");
    assert.equal(destinationOf(plan, "containers/systemd/whoami.container"), "~test/.config/containers/systemd/whoami.container");
    assert.deepEqual(plan.steps.map((step) => step.runAs), ["root", "test", "root"]);
    assert.ok(plan.steps[0]!.commands.includes("loginctl enable-linger test"));
  });

  test("quadlet commands install into a home", async () => {
    const outDir = path.join(scratch, "quadlet-out");
    const result = await buildFixture("example1", outDir);
    const plan = result.installPlan!;
    assert.deepEqual(plan.steps.map((step) => step.runAs), [undefined]);

    // The container mounts the directory the plan installs config.capnp into.
    const container = contentsOf(result, "containers/systemd/workerd.container");
    const volume = unitValues(container, "Container", "Volume")[0]!;
    assert.equal(volume.split(":")[0]!.replace(/^%h/, "~"), path.dirname(destinationOf(plan, "workerd/config.capnp")));

    // Run the step with a scratch HOME and a systemctl that records its arguments.
    const home = path.join(scratch, "quadlet-home");
    const bin = path.join(scratch, "quadlet-bin");
    mkdirSync(home, { recursive: true });
    mkdirSync(bin, { recursive: true });
    const log = path.join(scratch, "systemctl.log");
    writeFileSync(path.join(bin, "systemctl"), `#!/bin/sh\necho "$@" >> "${log}"\n`, { mode: 0o755 });
    const run = spawnSync("sh", ["-eu", "-c", plan.steps[0]!.commands.join("\n")], {
      cwd: outDir,
      encoding: "utf8",
      env: { PATH: `${bin}:${process.env.PATH}`, HOME: home },
    });
    assert.equal(run.status, 0, run.stderr);

    for (const file of plan.files) {
      const installed = path.join(home, file.destination.replace(/^~\//, ""));
      assert.ok(existsSync(installed), `${file.destination} was not installed`);
      assert.equal(readFileSync(installed, "utf8"), readFileSync(path.join(outDir, file.source), "utf8"));
      assert.equal(statSync(installed).mode & 0o777, file.mode);
    }
    assert.equal(
      readFileSync(log, "utf8"),
      "--user daemon-reload\n--user start whoami.service\n--user enable --now workerd.socket\n",
    );
  });
});
