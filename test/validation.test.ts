/** Invalid configs: the diagnostics the library returns and what the CLI prints for them. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { quoteCapnpString } from "../compiler/emit/capnp.js";
import { compile, type Diagnostic, type WorkerdComposeConfig } from "../compiler/index.js";
import { bundledWorkerd } from "../compiler/validate/date.js";
import { listenersOverlap } from "../compiler/validate/listeners.js";
import { workerdBinary } from "./support/processes.js";

const require = createRequire(import.meta.url);

const root = fileURLToPath(new URL("..", import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), "workerd-compose-validation-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function validConfig(): WorkerdComposeConfig {
  return {
    compatibilityDate: "2024-12-01",
    sockets: [{ name: "http", port: 80 }],
    networks: [{ name: "mynet" }],
    upstreams: [{ name: "whoami", container: { image: "docker.io/traefik/whoami", network: "mynet" } }],
    routes: [{ host: "whoami.example.com", upstream: "whoami" }],
    deployment: { target: "quadlet", image: "localhost/workerd", network: "mynet" },
  };
}

function errorsOf(config: unknown): Diagnostic[] {
  const result = compile(config, { today: new Date("2026-01-01T00:00:00Z") });
  assert.deepEqual(result.files, [], "a config with errors produced files");
  return result.diagnostics.filter((diagnostic) => diagnostic.severity === "error");
}

function only(diagnostics: Diagnostic[]): Diagnostic {
  assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics, null, 2));
  return diagnostics[0]!;
}

describe("compile diagnostics", () => {
  test("valid config has none", () => {
    const result = compile(validConfig(), { today: new Date("2026-01-01T00:00:00Z") });
    assert.deepEqual(result.diagnostics, []);
    assert.ok(result.files.length > 0);
  });

  test("unknown upstream suggests close name", () => {
    const config = validConfig();
    config.routes.push({ host: "b.example.com", upstream: "whoamy" });
    const diagnostic = only(errorsOf(config));
    assert.equal(diagnostic.code, "unknown-upstream");
    assert.equal(diagnostic.path, "routes[1].upstream");
    assert.equal(diagnostic.received, "whoamy");
    assert.equal(diagnostic.hint, 'Did you mean "whoami"?');
  });

  test("unknown key suggests close key", () => {
    const config = { ...validConfig(), rutes: [] };
    const diagnostic = only(errorsOf(config));
    assert.equal(diagnostic.code, "unknown-key");
    assert.equal(diagnostic.path, "rutes");
    assert.equal(diagnostic.hint, 'Did you mean "routes"?');
  });

  test("missing key names its path", () => {
    const config = validConfig() as Partial<WorkerdComposeConfig>;
    delete config.deployment;
    const diagnostic = only(errorsOf(config));
    assert.equal(diagnostic.code, "missing-key");
    assert.equal(diagnostic.path, "deployment");
  });

  test("key of other target is reported once", () => {
    const config = validConfig();
    (config.deployment as unknown as Record<string, unknown>).user = "test";
    const diagnostic = only(errorsOf(config));
    assert.equal(diagnostic.code, "union-conflict");
    assert.equal(diagnostic.path, "deployment.user");
    assert.equal(diagnostic.hint, 'Remove "user", or set target to "systemd-nsenter".');
  });

  test("unknown deployment key is reported once", () => {
    const config = validConfig();
    (config.deployment as unknown as Record<string, unknown>).imagee = "x";
    const diagnostic = only(errorsOf(config));
    assert.equal(diagnostic.code, "unknown-key");
    assert.equal(diagnostic.path, "deployment.imagee");
    assert.equal(diagnostic.hint, 'Did you mean "image"?');
  });

  test("unknown target lists the targets", () => {
    const config = validConfig();
    (config.deployment as unknown as Record<string, unknown>).target = "quadlett";
    const diagnostic = only(errorsOf(config));
    assert.equal(diagnostic.code, "invalid-value");
    assert.equal(diagnostic.path, "deployment.target");
    assert.equal(diagnostic.hint, 'Did you mean "quadlet"?');
  });

  test("duplicate names are errors", () => {
    const config = validConfig();
    config.sockets.push({ name: "http", port: 8080 });
    config.upstreams.push({ name: "whoami", address: "127.0.0.1:80" });
    const codes = errorsOf(config).map((diagnostic) => `${diagnostic.code} ${diagnostic.path}`);
    assert.ok(codes.includes("duplicate-name sockets[1].name"), codes.join("\n"));
    assert.ok(codes.includes("duplicate-name upstreams[1].name"), codes.join("\n"));
  });

  test("routes colliding after normalisation", () => {
    const config = validConfig();
    config.routes.push({ host: "WHOAMI.example.com.", upstream: "whoami" });
    const diagnostic = only(errorsOf(config));
    assert.equal(diagnostic.code, "duplicate-route");
    assert.equal(diagnostic.path, "routes[1].host");
    assert.match(diagnostic.message, /routes\[0\]/);
  });

  test("IPv6 address without brackets", () => {
    const config = validConfig();
    config.upstreams[0]!.address = "fd00::10:80";
    const diagnostic = only(errorsOf(config));
    assert.equal(diagnostic.code, "invalid-address");
    assert.match(diagnostic.message, /brackets/);
  });

  test("port conflict between sockets", () => {
    const config = validConfig();
    config.sockets.push({ name: "again", port: 80, address: "127.0.0.1" });
    const diagnostic = only(errorsOf(config));
    assert.equal(diagnostic.code, "port-conflict");
    assert.equal(diagnostic.path, "sockets[1].port");
  });

  test("impossible and future dates", () => {
    assert.equal(only(errorsOf({ ...validConfig(), compatibilityDate: "2024-02-31" })).code, "invalid-date");
    const future = only(errorsOf({ ...validConfig(), compatibilityDate: "2026-06-01" }));
    assert.equal(future.code, "future-date");
    assert.equal(future.hint, 'Use "2026-01-01" or an earlier date.');
  });

  test("date newer than bundled workerd", () => {
    const diagnostic = only(errorsOf({ ...validConfig(), compatibilityDate: "2026-12-01" }));
    assert.equal(diagnostic.code, "unsupported-date");
    assert.equal(diagnostic.expected, `a date up to ${bundledWorkerd.newestCompatibilityDate}`);
  });

  test("warnings block only with strict", () => {
    const config = validConfig();
    config.networks = [{ name: "mynet", subnet: "10.89.0.1/24" }];
    const today = new Date("2026-01-01T00:00:00Z");

    const lenient = compile(config, { today });
    assert.equal(only(lenient.diagnostics).code, "cidr-host-bits");
    assert.equal(lenient.diagnostics[0]!.severity, "warning");
    assert.ok(lenient.files.length > 0);

    const strict = compile(config, { today, strict: true });
    assert.equal(only(strict.diagnostics).code, "cidr-host-bits");
    assert.deepEqual(strict.files, []);
  });

  test("listener overlap follows Linux", () => {
    const cases: [string | undefined, string | undefined, boolean][] = [
      [undefined, "127.0.0.1", true],
      ["::", "0.0.0.0", true],
      ["0.0.0.0", "127.0.0.1", true],
      ["0.0.0.0", "::1", false],
      ["::ffff:127.0.0.1", "127.0.0.1", true],
      ["::1", "127.0.0.1", false],
      ["::1", "0:0::1", true],
      ["127.0.0.1", "127.0.0.2", false],
    ];
    for (const [first, second, overlap] of cases) {
      assert.equal(listenersOverlap(first, second), overlap, `${first} and ${second}`);
      assert.equal(listenersOverlap(second, first), overlap, `${second} and ${first}`);
    }
  });
});

describe("bundled workerd", () => {
  // workerd checks the newest supported date before the future date, so a
  // far-future date makes it name the newest date whatever today is.
  test("newest compatibility date matches binary", () => {
    const directory = mkdtempSync(path.join(scratch, "workerd-date-"));
    writeFileSync(path.join(directory, "worker.js"), "export default { fetch() { return new Response(); } };\n");
    const configFor = (date: string) =>
      [
        'using Workerd = import "/workerd/workerd.capnp";',
        'const config :Workerd.Config = (services = [(name = "main", worker = .worker)]);',
        `const worker :Workerd.Worker = (modules = [(name = "worker", esModule = embed "worker.js")], compatibilityDate = ${quoteCapnpString(date)});`,
        "",
      ].join("\n");

    writeFileSync(path.join(directory, "far.capnp"), configFor("2099-12-31"));
    const far = spawnSync(workerdBinary, ["serve", "far.capnp", "config"], { cwd: directory, encoding: "utf8" });
    assert.equal(far.status, 1);
    const newest = /the newest date supported by this server binary is "(\d{4}-\d{2}-\d{2})"/.exec(far.stderr)?.[1];
    assert.equal(newest, bundledWorkerd.newestCompatibilityDate, far.stderr);

    // Without sockets, workerd checks the config and exits 0.
    writeFileSync(path.join(directory, "newest.capnp"), configFor(bundledWorkerd.newestCompatibilityDate));
    const accepted = spawnSync(workerdBinary, ["serve", "newest.capnp", "config"], { cwd: directory, encoding: "utf8" });
    assert.equal(accepted.status, 0, accepted.stderr);

    const installed = JSON.parse(readFileSync(require.resolve("workerd/package.json"), "utf8")) as { version: string };
    assert.equal(installed.version, bundledWorkerd.packageVersion);
  });

  test("nsenter upstream without IP", () => {
    const config = validConfig();
    config.deployment = { target: "systemd-nsenter", user: "test", uid: 1000 };
    const diagnostic = only(errorsOf(config));
    assert.equal(diagnostic.code, "address-needs-ip");
    assert.equal(diagnostic.path, "upstreams[0].container");
  });

  test("container IP outside subnet", () => {
    const config = validConfig();
    config.networks = [{ name: "mynet", subnet: "10.89.0.0/24" }];
    config.upstreams[0]!.container!.ip = "10.90.0.10";
    assert.equal(only(errorsOf(config)).code, "address-outside-subnet");
  });

  test("reserved upstream name", () => {
    const config = validConfig();
    config.upstreams[0]!.name = "proxy";
    config.routes[0]!.upstream = "proxy";
    assert.equal(only(errorsOf(config)).code, "reserved-name");
  });
});

describe("proxy diagnostics", () => {
  function networkConfig(allow: string[]): WorkerdComposeConfig {
    return {
      ...validConfig(),
      upstreams: [{ name: "direct", passThrough: true }],
      routes: [{ host: "*.internal.example", upstream: "direct" }],
      outbound: { mode: "network", allow },
    };
  }

  function warningsOf(config: WorkerdComposeConfig): Diagnostic[] {
    const result = compile(config, { today: new Date("2026-01-01T00:00:00Z") });
    assert.ok(result.files.length > 0, JSON.stringify(result.diagnostics, null, 2));
    return result.diagnostics.filter((diagnostic) => diagnostic.severity === "warning");
  }

  for (const host of ["*example.com", "a.*.com", "*", "*.", "**.example.com", "*.*.example.com", "*.10.0.0.1"]) {
    test(`malformed wildcard ${host}`, () => {
      const config = validConfig();
      config.routes[0]!.host = host;
      const diagnostic = only(errorsOf(config));
      assert.equal(diagnostic.code, "invalid-wildcard");
      assert.equal(diagnostic.path, "routes[0].host");
      assert.equal(diagnostic.received, host);
    });
  }

  for (const host of ["a..example.com", ".example.com", "example.com:8080", "a b.example", "", "[::1]"]) {
    test(`invalid host ${JSON.stringify(host)}`, () => {
      const config = validConfig();
      config.routes[0]!.host = host;
      assert.equal(only(errorsOf(config)).code, "invalid-host");
    });
  }

  test("wildcards colliding after normalisation", () => {
    const config = validConfig();
    config.routes = [
      { host: "*.Example.com", upstream: "whoami" },
      { host: "*.example.COM.", upstream: "whoami" },
    ];
    const diagnostic = only(errorsOf(config));
    assert.equal(diagnostic.code, "duplicate-route");
    assert.match(diagnostic.message, /routes\[0\] \("\*\.Example\.com"\)/);
  });

  test("same path prefix twice", () => {
    const config = validConfig();
    config.routes = [
      { host: "a.example.com", pathPrefix: "/api", upstream: "whoami" },
      { host: "A.example.com", pathPrefix: "/api", upstream: "whoami" },
      { host: "a.example.com", pathPrefix: "/api/v2", upstream: "whoami" },
      { host: "a.example.com", upstream: "whoami" },
    ];
    const diagnostic = only(errorsOf(config));
    assert.equal(diagnostic.code, "duplicate-route");
    assert.equal(diagnostic.path, "routes[1].host");
  });

  const prefixCases: [string, string | undefined][] = [
    ["api", '"/api"'],
    ["/", undefined],
    ["/api/", '"/api"'],
    ["/a b", '"/a%20b"'],
    ["/a/../b", '"/b"'],
    ["/api?x=1", undefined],
  ];
  for (const [prefix, hint] of prefixCases) {
    test(`invalid path prefix ${prefix}`, () => {
      const config = validConfig();
      config.routes[0]!.pathPrefix = prefix;
      const diagnostic = only(errorsOf(config));
      assert.equal(diagnostic.code, "invalid-path-prefix");
      assert.equal(diagnostic.path, "routes[0].pathPrefix");
      if (hint === undefined) {
        assert.equal(diagnostic.hint, undefined);
      } else {
        assert.equal(diagnostic.hint, `Write ${hint}.`);
      }
    });
  }

  test("invalid fixed Host header", () => {
    const config = validConfig();
    config.upstreams[0]!.hostHeader = "internal example";
    const diagnostic = only(errorsOf(config));
    assert.equal(diagnostic.code, "invalid-host-header");
    assert.equal(diagnostic.path, "upstreams[0].hostHeader");
  });

  test("fixed Host header with network outbound", () => {
    const config = validConfig();
    config.upstreams[0]!.hostHeader = "internal.example";
    config.outbound = { mode: "network", allow: ["10.89.0.0/24"] };
    assert.equal(only(errorsOf(config)).code, "host-header-needs-external");
  });

  test("pass-through with an address", () => {
    const config = networkConfig(["10.89.0.0/24"]);
    config.upstreams[0]!.address = "10.89.0.5:80";
    const diagnostic = only(errorsOf(config));
    assert.equal(diagnostic.code, "pass-through-with-address");
    assert.equal(diagnostic.path, "upstreams[0].passThrough");
  });

  test("pass-through with external outbound", () => {
    const config = networkConfig(["10.89.0.0/24"]);
    delete config.outbound;
    assert.equal(only(errorsOf(config)).code, "pass-through-needs-network");
  });

  test("pass-through over https", () => {
    const config = networkConfig(["10.89.0.0/24"]);
    config.upstreams[0]!.https = {};
    assert.equal(only(errorsOf(config)).code, "pass-through-https");
  });

  for (const broad of ["0.0.0.0/0", "::/0", "private", "public"]) {
    test(`pass-through with allow ${broad}`, () => {
      const diagnostic = only(errorsOf(networkConfig(["10.89.0.0/24", broad])));
      assert.equal(diagnostic.code, "pass-through-needs-allowlist");
      assert.equal(diagnostic.path, "outbound.allow[1]");
    });
  }

  test("pass-through with IPv4-only allow list warns", () => {
    const [warning, ...rest] = warningsOf(networkConfig(["10.89.0.0/24"]));
    assert.deepEqual(rest, []);
    assert.equal(warning?.code, "allowlist-without-ipv6");
    assert.equal(warning?.path, "outbound.allow");
  });

  test("allow list with both families does not warn", () => {
    assert.deepEqual(warningsOf(networkConfig(["10.89.0.0/24", "fd00:89::/64"])), []);
  });

  test("container upstreams do not need IPv6", () => {
    const config = validConfig();
    config.outbound = { mode: "network", allow: ["10.89.0.0/24"] };
    assert.deepEqual(warningsOf(config), []);
  });

  test("upstream outside allow list", () => {
    const config = validConfig();
    config.upstreams.push({ name: "outside", address: "10.90.0.5:80" });
    config.upstreams.push({ name: "denied", address: "[fd00::5]:80" });
    config.outbound = { mode: "network", allow: ["10.89.0.0/24", "fd00::/64"], deny: ["fd00::5/128"] };
    const diagnostics = errorsOf(config);
    assert.deepEqual(
      diagnostics.map((diagnostic) => `${diagnostic.code} ${diagnostic.path}`),
      ["upstream-not-allowed upstreams[1].address", "upstream-not-allowed upstreams[2].address"],
    );
    assert.match(diagnostics[1]!.message, /deny contains/);
  });

  test("https at an IP address needs certificateHost", () => {
    const config = validConfig();
    config.upstreams[0] = { name: "whoami", address: "[fd00::10]:443", https: {} };
    const diagnostic = only(errorsOf(config));
    assert.equal(diagnostic.code, "missing-certificate-host");
    assert.equal(diagnostic.path, "upstreams[0].https");
  });

  test("https at a name defaults certificateHost", () => {
    const config = validConfig();
    config.upstreams[0] = { name: "whoami", address: "Backend.Example:443", https: {} };
    const result = compile(config, { today: new Date("2026-01-01T00:00:00Z") });
    assert.deepEqual(result.diagnostics, []);
    const capnp = result.files.find((file) => file.path === "workerd/config.capnp")!.contents as string;
    assert.match(capnp, /certificateHost = "backend\.example"/);
    assert.match(capnp, /trustBrowserCas = true/);
  });

  test("invalid certificateHost", () => {
    const config = validConfig();
    config.upstreams[0] = { name: "whoami", address: "10.0.0.1:443", https: { certificateHost: "*.example.com" } };
    assert.equal(only(errorsOf(config)).code, "invalid-certificate-host");
  });

  test("certificateHost with network outbound", () => {
    const config = validConfig();
    config.upstreams[0] = { name: "whoami", address: "backend.example:443", https: { certificateHost: "other.example" } };
    config.outbound = { mode: "network", allow: ["10.89.0.0/24", "fd00::/64"] };
    assert.equal(only(errorsOf(config)).code, "certificate-host-needs-external");
  });

  test("certificate file missing", () => {
    const config = validConfig();
    config.upstreams[0] = { name: "whoami", address: "backend.example:443", https: { trustedCertificates: ["ca.pem"] } };
    const withoutReader = only(errorsOf(config));
    assert.equal(withoutReader.code, "unreadable-file");
    assert.equal(withoutReader.path, "upstreams[0].https.trustedCertificates[0]");
    const result = compile(config, {
      today: new Date("2026-01-01T00:00:00Z"),
      readFile: (file) => {
        throw new Error(`ENOENT: no such file, open '${file}'`);
      },
    });
    assert.match(only(result.diagnostics).message, /ENOENT/);
  });

  const invalidPem: [string, RegExp][] = [
    ["not a certificate", /no PEM certificate/],
    ["-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n", /"PRIVATE KEY" block/],
    ["-----BEGIN CERTIFICATE-----\nbm90IGRlcg==\n-----END CERTIFICATE-----\n", /does not parse/],
  ];
  for (const [text, message] of invalidPem) {
    test(`invalid certificate ${message.source}`, () => {
      const config = validConfig();
      config.upstreams[0] = { name: "whoami", address: "backend.example:443", https: { trustedCertificates: ["ca.pem"] } };
      const result = compile(config, { today: new Date("2026-01-01T00:00:00Z"), readFile: () => text });
      const diagnostic = only(result.diagnostics);
      assert.equal(diagnostic.code, "invalid-certificate");
      assert.match(diagnostic.message, message);
    });
  }

  test("invalid trusted proxy", () => {
    const config = validConfig();
    config.forwarded = { trustedProxies: ["10.0.0.1", "fd00::/129"] };
    assert.deepEqual(
      errorsOf(config).map((diagnostic) => `${diagnostic.code} ${diagnostic.path}`),
      ["invalid-cidr forwarded.trustedProxies[0]", "invalid-cidr forwarded.trustedProxies[1]"],
    );
  });

  test("trusting every peer warns", () => {
    const config = validConfig();
    config.forwarded = { trustedProxies: ["0.0.0.0/0", "10.0.0.0/8"] };
    const [warning, ...rest] = warningsOf(config);
    assert.deepEqual(rest, []);
    assert.equal(warning?.code, "trusts-every-peer");
    assert.equal(warning?.path, "forwarded.trustedProxies[0]");
  });

  test("passThrough alone is not missing an address", () => {
    const config = networkConfig(["10.89.0.0/24", "fd00::/64"]);
    config.deployment = { target: "systemd-nsenter", user: "test", uid: 1000 };
    assert.deepEqual(compile(config, { today: new Date("2026-01-01T00:00:00Z") }).diagnostics, []);
  });
});

describe("command-line errors", () => {
  function runCli(args: string[], cwd = root) {
    return spawnSync(process.execPath, [path.join(root, "bin/workerd-compose.js"), ...args], { cwd, encoding: "utf8" });
  }

  test("semantic error exits 1 without stack", () => {
    const file = path.join(scratch, "bad.json");
    const config = validConfig();
    config.routes[0]!.upstream = "whoamy";
    writeFileSync(file, JSON.stringify(config, null, 2));
    const run = runCli(["build", "--config", file, "--out", path.join(scratch, "bad-out")]);
    assert.equal(run.status, 1);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /bad\.json:\d+:\d+: error \[unknown-upstream\] routes\[0\]\.upstream/);
    assert.match(run.stderr, /Did you mean "whoami"\?/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  });

  test("TypeScript syntax error exits 1", () => {
    const file = path.join(scratch, "broken.config.ts");
    writeFileSync(file, "export default {\n  compatibilityDate: ,\n};\n");
    const run = runCli(["build", "--config", file, "--out", path.join(scratch, "broken-out")]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /broken\.config\.ts:2:\d+: error \[config-syntax\]/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  });

  test("missing config file exits 1", () => {
    const run = runCli(["build"], scratch);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /config-not-found/);
  });

  test("warning exits 0 unless strict", () => {
    const file = path.join(scratch, "warning.json");
    const config = validConfig();
    config.networks = [{ name: "mynet", subnet: "10.89.0.1/24" }];
    writeFileSync(file, JSON.stringify(config, null, 2));

    const lenient = runCli(["build", "--config", file, "--out", path.join(scratch, "warning-out")]);
    assert.equal(lenient.status, 0, lenient.stderr);
    assert.equal(lenient.stdout, "");
    assert.match(lenient.stderr, /warning\.json:\d+:\d+: warning \[cidr-host-bits\] networks\[0\]\.subnet/);
    assert.match(lenient.stderr, /Built \d+ files/);

    const strictOut = path.join(scratch, "strict-out");
    const strict = runCli(["build", "--strict", "--config", file, "--out", strictOut]);
    assert.equal(strict.status, 1, strict.stderr);
    assert.equal(strict.stdout, "");
    assert.match(strict.stderr, /warning \[cidr-host-bits\]/);
    assert.equal(existsSync(strictOut), false, "--strict wrote output despite a warning");
  });

  test("unknown option exits 1", () => {
    const run = runCli(["build", "--confg", "x.ts"]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /confg/);
  });

  test("help and version", () => {
    const help = runCli(["--help"]);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--config/);
    assert.match(help.stdout, /Examples:/);
    const version = runCli(["--version"]);
    assert.equal(version.status, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  });
});
