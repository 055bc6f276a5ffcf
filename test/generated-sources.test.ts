/** Files derived from other files stay current: the JSON Schema, its validator and prettier's formatting. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import * as prettier from "prettier";

import { compile, type WorkerdComposeConfig } from "../compiler/index.js";
// @ts-expect-error: a plain .mjs script without type declarations
import { generateSchema, generateValidator, schemaPath, validatorPath } from "../scripts/generate-schema.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("generated sources", () => {
  test("schema matches the types", () => {
    assert.equal(
      readFileSync(schemaPath, "utf8"),
      generateSchema(),
      "schema/workerd-compose.schema.json is out of date: run npm run schema",
    );
  });

  test("validator matches the schema", () => {
    assert.equal(
      readFileSync(validatorPath, "utf8"),
      generateValidator(readFileSync(schemaPath, "utf8")),
      "compiler/validate/schema-validator.js is out of date: run npm run schema",
    );
  });

  test("library.js is prettier-formatted", async () => {
    const source = readFileSync(`${root}worker/library.js`, "utf8");
    assert.equal(await prettier.format(source, { parser: "babel" }), source);
  });
});

describe("fetch.js formatting", () => {
  function configWithRoutes(count: number, hostLength: number, mode: "external" | "network"): WorkerdComposeConfig {
    const hosts = Array.from({ length: count }, (_, index) => `h${index}.${"x".repeat(hostLength)}.example`);
    return {
      compatibilityDate: "2024-12-01",
      sockets: [{ name: "http", port: 80 }],
      networks: [{ name: "net" }],
      upstreams: [{ name: "upstream", address: "10.0.0.1:8080" }],
      routes: hosts.map((host) => ({ host, upstream: "upstream" })),
      ...(mode === "network" ? { outbound: { mode: "network" as const, allow: ["10.0.0.0/8"] } } : {}),
      deployment: { target: "quadlet", image: "localhost/workerd", network: "net" },
    };
  }

  // Route tables of every shape the printer distinguishes (empty, one entry,
  // several) with host names of every length around the 80-column limits.
  for (const mode of ["external", "network"] as const) {
    for (const count of [0, 1, 3]) {
      test(`${mode} mode with ${count} routes`, async () => {
        for (let hostLength = 1; hostLength <= (count === 0 ? 1 : 90); hostLength++) {
          const result = compile(configWithRoutes(count, hostLength, mode));
          assert.deepEqual(result.diagnostics, []);
          const fetchJs = result.files.find((file) => file.path === "workerd/fetch.js")!.contents;
          assert.equal(await prettier.format(fetchJs, { parser: "babel" }), fetchJs, `host length ${hostLength}`);
        }
      });
    }
  }
});
