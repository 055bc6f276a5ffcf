/** The fast path of the command line: which argument lists it takes, and what it makes of them. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { parsePlainBuild } from "../compiler/cli/build-options.js";

describe("parsePlainBuild", () => {
  test("defaults without arguments", () => {
    assert.deepEqual(parsePlainBuild([]), {
      config: undefined,
      out: "out",
      check: false,
      binary: false,
      strict: false,
      quiet: undefined,
      verbose: undefined,
    });
  });

  test("long and short options", () => {
    assert.deepEqual(parsePlainBuild(["build", "-c", "a.ts", "--out=dist", "--check", "--strict", "-q"]), {
      config: "a.ts",
      out: "dist",
      check: true,
      binary: false,
      strict: true,
      quiet: true,
      verbose: undefined,
    });
  });

  // Everything else goes to yargs, which prints help, versions and errors.
  const declined: string[][] = [
    ["--help"],
    ["build", "-h"],
    ["--version"],
    ["serve"],
    ["build", "--confg", "a.ts"],
    ["build", "extra"],
    ["build", "-c", "a.ts", "-c", "b.ts"],
    ["build", "--quiet", "--verbose"],
    ["build", "--config"],
    ["build", "--no-check"],
    ["build", "--", "x"],
  ];
  for (const argv of declined) {
    test(`declines ${argv.join(" ")}`, () => {
      assert.equal(parsePlainBuild(argv), undefined);
    });
  }
});
