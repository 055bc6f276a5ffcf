/** The unit file model's escaping and the printer's rules, checked by hand and by systemd-analyze verify. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";

import { printUnitFile } from "../compiler/emit/unit.js";
import { UnitValue, type UnitFile } from "../compiler/model/unit.js";
import { installScratch, verifySystemUnits, writeStub } from "./support/systemd.js";

const scratch = mkdtempSync(path.join(tmpdir(), "workerd-compose-unit-model-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Arguments and values with every character that systemd treats specially. */
const awkward = ["a b", 'say "hi"', "back\\slash", "$HOME", "${HOME}", "100%", "%h", "it's", "semi;colon", ""];

describe("UnitValue escaping", () => {
  test("literal doubles percent signs", () => {
    assert.equal(UnitValue.literal("50% of %h").text, "50%% of %%h");
  });

  test("literal rejects line breaks", () => {
    assert.throws(() => UnitValue.literal("a\nExecStartPre=/bin/sh"), /control character/);
    assert.throws(() => UnitValue.literal("a\rb"), /control character/);
  });

  test("path keeps only a leading %h", () => {
    assert.equal(UnitValue.pathWithHome("%h/a%b").text, "%h/a%%b");
    assert.equal(UnitValue.pathWithHome("/srv/%h").text, "/srv/%%h");
    assert.equal(UnitValue.pathWithHome("%hx").text, "%%hx");
  });

  test("command quotes and escapes arguments", () => {
    assert.equal(
      UnitValue.command(awkward).text,
      '"a b" "say \\"hi\\"" "back\\\\slash" $$HOME $${HOME} 100%% %%h "it\'s" "semi;colon" ""',
    );
  });

  test("exec needs an absolute executable", () => {
    assert.equal(UnitValue.exec(["/usr/bin/env", "a b"]).text, '/usr/bin/env "a b"');
    assert.throws(() => UnitValue.exec(["env"]), /absolute/);
    assert.throws(() => UnitValue.exec(["-/usr/bin/env"]), /absolute/);
    assert.throws(() => UnitValue.exec([]), /absolute/);
  });

  test("environment quotes each assignment", () => {
    const value = UnitValue.environment([
      ["A", "x y"],
      ["B", 'q"\\%$'],
    ]);
    assert.equal(value.text, '"A=x y" "B=q\\"\\\\%%$"');
  });

  test("environment rejects line breaks and bad names", () => {
    assert.throws(() => UnitValue.environment([["A", "line\nbreak"]]), /control character/);
    assert.throws(() => UnitValue.environment([["1A", "x"]]), /variable name/);
    assert.throws(() => UnitValue.environment([["A B", "x"]]), /variable name/);
  });
});

describe("unit printer", () => {
  const file = (entries: [string, string][], listKeys: string[] = []): UnitFile => ({
    listKeys: new Set(listKeys),
    sections: [
      { name: "Unit", entries: [] },
      { name: "Service", entries: entries.map(([key, value]) => ({ key, value: UnitValue.literal(value) })) },
    ],
  });

  test("repeated key is a bug", () => {
    assert.throws(() => printUnitFile(file([["Type", "exec"], ["Type", "notify"]])), /appears twice in \[Service\]/);
  });

  test("list key may repeat", () => {
    const text = printUnitFile(file([["ReadOnlyPaths", "/a"], ["ReadOnlyPaths", "/b"]], ["ReadOnlyPaths"]));
    assert.equal(text, "[Service]\nReadOnlyPaths=/a\nReadOnlyPaths=/b\n");
  });
});

describe("escaped values under systemd-analyze verify", () => {
  /** Verifies a service made of `entries` in a scratch root with a stub executable; returns the output. */
  function verifyService(name: string, serviceEntries: [string, UnitValue][]): string {
    const systemRoot = path.join(scratch, name);
    installScratch({ target: "systemd", prerequisites: [], files: [], steps: [] }, scratch, systemRoot, scratch, []);
    writeStub(path.join(systemRoot, "usr/local/bin/tool"));
    const unit: UnitFile = {
      listKeys: new Set(),
      sections: [
        { name: "Unit", entries: [{ key: "Description", value: UnitValue.literal("escaping check for 100% of $values") }] },
        { name: "Service", entries: serviceEntries.map(([key, value]) => ({ key, value })) },
      ],
    };
    const unitDirectory = path.join(systemRoot, "etc/systemd/system");
    mkdirSync(unitDirectory, { recursive: true });
    const target = path.join(unitDirectory, `${name}.service`);
    writeFileSync(target, printUnitFile(unit));
    return verifySystemUnits(systemRoot, [target]);
  }

  test("awkward values print nothing", () => {
    const output = verifyService("awkward", [
      ["Type", UnitValue.literal("exec")],
      ["ExecStart", UnitValue.exec(["/usr/local/bin/tool", ...awkward])],
      ["Environment", UnitValue.environment(awkward.map((value, index) => [`VALUE_${index}`, value]))],
      ["WorkingDirectory", UnitValue.literal("/srv/50%")],
    ]);
    assert.equal(output, "");
  });

  test("unquoted assignment is reported", () => {
    // The negative control: verify does notice a value written without quotes.
    const output = verifyService("unquoted", [
      ["ExecStart", UnitValue.exec(["/usr/local/bin/tool"])],
      ["Environment", UnitValue.join([UnitValue.literal("A=x"), UnitValue.literal("y")])],
    ]);
    assert.match(output, /Invalid environment assignment/);
  });
});
