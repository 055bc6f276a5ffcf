/** Files derived from other files stay current: the JSON Schema, its validator and prettier's formatting. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import * as prettier from "prettier";

import { compile, type UpstreamConfig, type WorkerdComposeConfig } from "../compiler/index.js";
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
  /**
   * Builds a config whose tables each have `count` entries (hosts, path prefixes,
   * fixed Host headers or origins, trusted proxies) with strings that grow
   * with `length`.
   */
  function configWithRoutes(count: number, length: number, mode: "external" | "network"): WorkerdComposeConfig {
    const name = "x".repeat(length);
    // DNS labels have at most 63 characters, so long host names get more labels.
    const labels = name.match(/.{1,60}/g)?.join(".") ?? "";
    const hosts = Array.from({ length: count }, (_, index) => `h${index}.${labels}.example`);
    const upstreams: UpstreamConfig[] = Array.from({ length: count }, (_, index) => ({
      name: `u${index}${name}`.slice(0, 60),
      address: `10.0.0.${index + 1}:8080`,
      ...(mode === "external" ? { hostHeader: `i${index}.${labels}.internal` } : {}),
    }));
    if (mode === "network" && count > 0) {
      upstreams[0] = { name: upstreams[0]!.name, passThrough: true };
    }
    return {
      compatibilityDate: "2024-12-01",
      sockets: [{ name: "http", port: 80 }],
      networks: [{ name: "net" }],
      upstreams: [{ name: "fallback", address: "10.0.0.100:8080" }, ...upstreams],
      routes: hosts.flatMap((host, index) => [
        { host: index % 2 === 0 ? host : `*.${host}`, upstream: upstreams[index]!.name },
        { host, pathPrefix: `/${name}/${index}`, upstream: "fallback" },
      ]),
      forwarded: {
        trustedProxies: ["10.0.0.0/8", "fd00::/8", "2001:db8:1234:5678::/64", "::ffff:192.0.2.0/120"].slice(0, count),
        forwarded: count % 2 === 1,
      },
      ...(mode === "network" ? { outbound: { mode: "network" as const, allow: ["10.0.0.0/8", "fd00::/8"] } } : {}),
      deployment: { target: "quadlet", image: "localhost/workerd", network: "net" },
    };
  }

  // Tables of every shape the printer distinguishes (empty, one entry,
  // several) with strings of every length around the 80-column limits.
  for (const mode of ["external", "network"] as const) {
    for (const count of [0, 1, 3]) {
      test(`${mode} mode with ${count} routes`, async () => {
        for (let length = 1; length <= (count === 0 ? 1 : 90); length++) {
          const result = compile(configWithRoutes(count, length, mode));
          assert.deepEqual(result.diagnostics, []);
          const fetchJs = result.files.find((file) => file.path === "workerd/fetch.js")!.contents as string;
          assert.equal(await prettier.format(fetchJs, { parser: "babel" }), fetchJs, `length ${length}`);
        }
      });
    }
  }
});
