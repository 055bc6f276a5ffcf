/** The emitted system units checked by systemd's own tools. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { build } from "../compiler/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), "workerd-compose-units-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Lays out a root file system for `systemd-analyze verify --root`: the host's
 * standard units (sysinit.target and friends), the generated units and
 * scripts at their install paths, and a stub workerd binary.
 */
async function installNsenterTree(): Promise<string> {
  const outDir = path.join(scratch, "nsenter-out");
  await build({ config: path.join(root, "fixtures/example-nsenter/workerd-compose.config.ts"), outDir });

  const systemRoot = path.join(scratch, "root");
  mkdirSync(path.join(systemRoot, "usr/lib/systemd"), { recursive: true });
  cpSync("/lib/systemd/system", path.join(systemRoot, "usr/lib/systemd/system"), {
    recursive: true,
    verbatimSymlinks: true,
  });
  cpSync(path.join(outDir, "systemd/system"), path.join(systemRoot, "etc/systemd/system"), { recursive: true });
  cpSync(path.join(outDir, "workerd"), path.join(systemRoot, "var/srv/workerd"), { recursive: true });
  mkdirSync(path.join(systemRoot, "usr/local/bin"), { recursive: true });
  writeFileSync(path.join(systemRoot, "usr/local/bin/workerd"), "#!/bin/sh\n");
  chmodSync(path.join(systemRoot, "usr/local/bin/workerd"), 0o755);
  return systemRoot;
}

describe("systemd-nsenter units", () => {
  test("systemd-analyze verify prints nothing", async () => {
    const systemRoot = await installNsenterTree();
    const units = ["workerd.socket", "workerd.service"].map((unit) => path.join(systemRoot, "etc/systemd/system", unit));
    const run = spawnSync("systemd-analyze", ["verify", "--man=no", `--root=${systemRoot}`, ...units], {
      encoding: "utf8",
      cwd: systemRoot,
    });
    assert.equal(run.stdout + run.stderr, "");
    assert.equal(run.status, 0);
  });

  test("service has no defect of the hand-written one", async () => {
    const outDir = path.join(scratch, "nsenter-defects");
    await build({ config: path.join(root, "fixtures/example-nsenter/workerd-compose.config.ts"), outDir });
    const service = readFileSync(path.join(outDir, "systemd/system/workerd.service"), "utf8");
    assert.equal(service.match(/^\[Unit\]$/gm)?.length, 1);
    assert.doesNotMatch(service, /XDG_RUNTIME_DIR|bash -c|CAP_SYS_BOOT|PAMName/);
    assert.match(service, /^AssertFileIsExecutable=\/usr\/local\/bin\/workerd$/m);
    assert.match(service, /^Type=exec$/m);

    const script = readFileSync(path.join(outDir, "workerd/workerd-nsenter.sh"), "utf8");
    assert.match(script, /^runtime_dir=\/run\/user\/1000$/m);
    assert.doesNotMatch(script, /--mount/);
    assert.match(script, /\/var\/srv\/workerd\/config\.capnp$/m);
  });
});
