/**
 * config.bin against workerd's own encoding of config.capnp: both are
 * decoded with `capnp decode` and compared as text, because the bytes of
 * two encoders may differ for the same content. Also checks that the
 * generated capnp-es bindings and the field table match workerd.capnp.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import * as bindings from "../compiler/capnp/workerd-capnp.js";
import { encodeBinaryConfig } from "../compiler/emit/capnp-binary.js";
import { build } from "../compiler/index.js";
import { workerdSchema } from "../compiler/model/workerd-schema.js";
// @ts-expect-error: a plain .mjs script without type declarations
import { bindingsPath, generateBindings } from "../scripts/generate-capnp.mjs";
// @ts-expect-error: a plain .mjs script without type declarations
import { capnpImportArgs, writeShimmedSchema } from "../scripts/workerd-schema.mjs";
import { workerdBinary } from "./support/processes.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), "workerd-compose-binary-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const { schemaPath, importPath } = writeShimmedSchema(path.join(scratch, "schema")) as {
  schemaPath: string;
  importPath: string;
};

function capnpDecode(bytes: Buffer): string {
  return execFileSync("capnp", ["decode", ...capnpImportArgs(importPath), schemaPath, "Config"], {
    input: bytes,
    encoding: "utf8",
  });
}

const fixtures = readdirSync(path.join(root, "fixtures")).sort();

describe("config.bin decodes as workerd's encoding", () => {
  for (const name of fixtures) {
    test(`${name} fixture`, async () => {
      const outDir = path.join(scratch, name);
      const result = await build({
        config: path.join(root, "fixtures", name, "workerd-compose.config.ts"),
        outDir,
        binary: true,
      });
      assert.deepEqual(result.diagnostics, []);

      // workerd reads config.capnp, resolves every embed and writes the binary form.
      const reference = execFileSync(workerdBinary, ["compile", "--config-only", "config.capnp", "config"], {
        cwd: path.join(outDir, "workerd"),
      });
      const ours = readFileSync(path.join(outDir, "workerd/config.bin"));
      assert.equal(capnpDecode(ours), capnpDecode(reference));
    });
  }
});

describe("capnp-es bindings", () => {
  test("generated file is current", () => {
    assert.equal(
      readFileSync(bindingsPath, "utf8"),
      generateBindings(),
      "compiler/capnp/workerd-capnp.ts is out of date: run npm run generate:capnp",
    );
  });

  test("field table matches bindings", () => {
    const classes = bindings as unknown as Record<string, { prototype: object } & Record<string, unknown>>;
    for (const [typeName, schema] of Object.entries(workerdSchema)) {
      const generated = classes[typeName];
      assert.ok(generated, `the bindings have no class ${typeName}`);
      for (const [field, type] of Object.entries(schema.fields)) {
        // The encoder calls _initX() for structs, lists and Data, and the setter otherwise.
        if (type.kind === "struct" || type.kind === "list" || type.kind === "data") {
          const init = `_init${field[0]!.toUpperCase()}${field.slice(1)}`;
          assert.equal(typeof (generated.prototype as Record<string, unknown>)[init], "function", `${typeName}.${init}() is missing`);
        } else {
          const descriptor = Object.getOwnPropertyDescriptor(generated.prototype, field);
          assert.ok(descriptor?.set, `${typeName}.${field} has no setter in the bindings`);
        }
      }
      for (const member of schema.union ?? []) {
        assert.equal(typeof generated[constantName(member)], "number", `${typeName} has no union member ${member}`);
      }
    }
  });

  test("enum order matches bindings", () => {
    const enums: [readonly string[], Record<string, number>][] = [
      [enumValues("HttpOptions", "style"), bindings.HttpOptions_Style],
      [enumValues("TlsOptions", "minVersion"), bindings.TlsOptions_Version],
      [enumValues("Socket_Tcp", "tlsMode"), bindings.Socket_TcpTlsMode],
      [enumValues("Worker_Binding_CryptoKey", "usages"), bindings.Worker_Binding_CryptoKey_Usage],
    ];
    for (const [values, generated] of enums) {
      assert.deepEqual(
        values.map(constantName),
        Object.keys(generated),
      );
      assert.deepEqual(Object.values(generated), values.map((_, index) => index));
    }
  });

  test("two union members are rejected", () => {
    const config = { services: [{ name: "a", worker: { modules: [] }, network: {} }] };
    assert.throws(() => encodeBinaryConfig(config, () => new Uint8Array()), /sets worker and network/);
  });
});

/** capnp-es's constant for a member name: `goodDefault` → `GOOD_DEFAULT`, `r2Bucket` → `R2BUCKET`. */
function constantName(member: string): string {
  return member.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

function enumValues(typeName: string, field: string): readonly string[] {
  let type = workerdSchema[typeName]!.fields[field]!;
  if (type.kind === "list") {
    type = type.element;
  }
  assert.equal(type.kind, "enum");
  return (type as { values: readonly string[] }).values;
}
