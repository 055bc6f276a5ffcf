/** Diagnostics of the raw layer (`workerd` in the config), from compile() with files kept in memory. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { compile, type Diagnostic, type WorkerdComposeConfig } from "../compiler/index.js";
import type { Service } from "../compiler/model/workerd.js";

const today = new Date("2026-01-01T00:00:00Z");

function configWith(workerd: WorkerdComposeConfig["workerd"]): WorkerdComposeConfig {
  return {
    compatibilityDate: "2024-12-01",
    sockets: [{ name: "http", port: 80 }],
    networks: [{ name: "mynet" }],
    upstreams: [{ name: "whoami", address: "10.0.0.1:80" }],
    routes: [{ host: "whoami.example.com", upstream: "whoami" }],
    deployment: { target: "quadlet", image: "localhost/workerd", network: "mynet" },
    workerd,
  };
}

function worker(extra: Record<string, unknown> = {}): Service {
  return {
    name: "app",
    worker: {
      compatibilityDate: "2024-12-01",
      modules: [{ name: "main.js", esModule: "export default {}" }],
      ...extra,
    },
  };
}

function errorsOf(config: unknown, files: Record<string, Uint8Array> = {}): Diagnostic[] {
  const result = compile(config, {
    today,
    readFile: (file) => {
      const contents = files[file];
      if (contents === undefined) {
        throw new Error(`ENOENT: ${file}`);
      }
      return contents;
    },
  });
  return result.diagnostics.filter((diagnostic) => diagnostic.severity === "error");
}

function only(diagnostics: Diagnostic[]): Diagnostic {
  assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics, null, 2));
  return diagnostics[0]!;
}

describe("raw layer diagnostics", () => {
  test("valid raw worker has none", () => {
    assert.deepEqual(errorsOf(configWith({ services: [worker()] })), []);
  });

  test("two union members conflict", () => {
    const diagnostic = only(errorsOf(configWith({ services: [{ name: "a", disk: {}, network: {} }] })));
    assert.equal(diagnostic.code, "union-conflict");
    assert.equal(diagnostic.path, "workerd.services[0].network");
    assert.deepEqual(diagnostic.received, ["disk", "network"]);
  });

  test("service without kind", () => {
    const diagnostic = only(errorsOf(configWith({ services: [{ name: "a" }] })));
    assert.equal(diagnostic.code, "union-missing");
    assert.equal(diagnostic.path, "workerd.services[0]");
  });

  test("socket without protocol", () => {
    const config = configWith({ services: [worker()], sockets: [{ name: "api", service: "app" }] });
    const diagnostic = only(errorsOf(config));
    assert.equal(diagnostic.code, "union-missing");
    assert.equal(diagnostic.path, "workerd.sockets[0]");
  });

  test("names of generated services collide", () => {
    for (const name of ["proxy", "whoami"]) {
      const diagnostic = only(errorsOf(configWith({ services: [{ name, disk: { path: "/srv" } }] })));
      assert.equal(diagnostic.code, "raw-name-collision", name);
      assert.equal(diagnostic.path, "workerd.services[0].name");
    }
  });

  test("name of generated socket collides", () => {
    const config = configWith({ services: [worker()], sockets: [{ name: "http", http: {}, service: "app" }] });
    const diagnostic = only(errorsOf(config));
    assert.equal(diagnostic.code, "raw-name-collision");
    assert.match(diagnostic.message, /sockets\[0\]/);
  });

  test("duplicate service and binding names", () => {
    const config = configWith({
      services: [worker({ bindings: [{ name: "A", text: "1" }, { name: "A", text: "2" }] }), worker()],
    });
    const found = errorsOf(config).map((diagnostic) => `${diagnostic.code} ${diagnostic.path}`);
    assert.deepEqual(found, [
      "duplicate-name workerd.services[1].name",
      "duplicate-name workerd.services[0].worker.bindings[1].name",
    ]);
  });

  test("unknown service suggests close name", () => {
    const config = configWith({ services: [worker({ bindings: [{ name: "B", service: "whoamy" }] })] });
    const diagnostic = only(errorsOf(config));
    assert.equal(diagnostic.code, "unknown-service");
    assert.equal(diagnostic.path, "workerd.services[0].worker.bindings[0].service");
    assert.equal(diagnostic.hint, 'Did you mean "whoami"?');
  });

  test("implicit internet service is known", () => {
    assert.deepEqual(errorsOf(configWith({ services: [worker({ globalOutbound: "internet" })] })), []);
  });

  test("features this workerd cannot run", () => {
    const cases: [Service, string][] = [
      [{ name: "child", worker: { inherit: "app" } }, "workerd.services[1].worker.inherit"],
      [
        { name: "py", worker: { compatibilityDate: "2024-12-01", modules: [{ name: "a.py", pythonModule: "print(1)" }] } },
        "workerd.services[1].worker.modules[0].pythonModule",
      ],
      [
        { name: "keyed", worker: { compatibilityDate: "2024-12-01", serviceWorkerScript: "", durableObjectUniqueKeyModifier: "x" } },
        "workerd.services[1].worker.durableObjectUniqueKeyModifier",
      ],
    ];
    for (const [service, path] of cases) {
      const diagnostic = only(errorsOf(configWith({ services: [worker(), service] })));
      assert.equal(diagnostic.code, "unsupported-feature", path);
      assert.equal(diagnostic.path, path);
    }
  });

  test("experimental feature needs the flag", () => {
    const service = worker({ bindings: [{ name: "EVAL", unsafeEval: true }] });
    const diagnostic = only(errorsOf(configWith({ services: [service] })));
    assert.equal(diagnostic.code, "experimental-feature");
    assert.equal(diagnostic.path, "workerd.services[0].worker.bindings[0].unsafeEval");
    assert.deepEqual(errorsOf(configWith({ services: [service], experimental: true })), []);
  });

  test("experimental flag reaches the units", () => {
    const result = compile(configWith({ experimental: true }), { today });
    assert.deepEqual(result.workerdFlags, ["--experimental"]);
    const container = result.files.find((file) => file.path === "containers/systemd/workerd.container")!;
    assert.match(container.contents as string, /^Exec=serve --experimental /m);
  });

  test("stored namespace without storage", () => {
    const service = worker({ durableObjectNamespaces: [{ className: "Counter", uniqueKey: "k" }] });
    const diagnostic = only(errorsOf(configWith({ services: [service] })));
    assert.equal(diagnostic.code, "missing-storage");
  });

  test("storage on a read-only disk", () => {
    const service = worker({
      durableObjectNamespaces: [{ className: "Counter", uniqueKey: "k" }],
      durableObjectStorage: { localDisk: "files" },
    });
    const config = configWith({ services: [service, { name: "files", disk: { path: "/srv" } }] });
    const diagnostic = only(errorsOf(config));
    assert.equal(diagnostic.code, "invalid-storage");
    assert.equal(diagnostic.path, "workerd.services[0].worker.durableObjectStorage.localDisk");
  });

  test("namespace binding names unknown class", () => {
    const service = worker({
      durableObjectNamespaces: [{ className: "Counter", uniqueKey: "k" }],
      durableObjectStorage: { inMemory: true },
      bindings: [{ name: "C", durableObjectNamespace: "Countr" }],
    });
    const diagnostic = only(errorsOf(configWith({ services: [service] })));
    assert.equal(diagnostic.code, "unknown-class");
    assert.equal(diagnostic.hint, 'Did you mean "Counter"?');
  });

  test("raw worker needs a valid date", () => {
    const missing: Service = { name: "app", worker: { modules: [{ name: "m", esModule: "" }] } };
    assert.equal(only(errorsOf(configWith({ services: [missing] }))).code, "missing-key");
    const impossible = worker({ compatibilityDate: "2024-02-31" });
    assert.equal(only(errorsOf(configWith({ services: [impossible] }))).code, "invalid-date");
  });
});

describe("embedded files", () => {
  const module = (embed: string): Service => ({
    name: "app",
    worker: { compatibilityDate: "2024-12-01", modules: [{ name: "main.js", esModule: { embed } }] },
  });

  test("paths outside the config directory", () => {
    for (const file of ["../main.js", "/etc/main.js", "a/../../main.js"]) {
      const diagnostic = only(errorsOf(configWith({ services: [module(file)] })));
      assert.equal(diagnostic.code, "invalid-embed-path", file);
      assert.equal(diagnostic.path, "workerd.services[0].worker.modules[0].esModule.embed");
    }
  });

  test("missing file", () => {
    const diagnostic = only(errorsOf(configWith({ services: [module("main.js")] })));
    assert.equal(diagnostic.code, "embed-unreadable");
    assert.equal(diagnostic.received, "main.js");
  });

  test("text file that is not UTF-8", () => {
    const diagnostic = only(errorsOf(configWith({ services: [module("main.js")] }), { "main.js": new Uint8Array([0xff]) }));
    assert.equal(diagnostic.code, "embed-not-text");
  });

  test("files are copied next to config.capnp", () => {
    const socket = {
      name: "secure",
      https: { tlsOptions: { keypair: { privateKey: { embed: "./tls/key.pem" }, certificateChain: { embed: "tls/cert.pem" } } } },
      service: "app",
    };
    const files = {
      "main.js": new TextEncoder().encode("export default {}"),
      "./tls/key.pem": new TextEncoder().encode("KEY"),
      "tls/cert.pem": new TextEncoder().encode("CERT"),
    };
    const result = compile(configWith({ services: [module("main.js")], sockets: [socket] }), {
      today,
      readFile: (file) => files[file as keyof typeof files],
    });
    assert.deepEqual(result.diagnostics, []);
    const copied = result.files.filter((file) => file.path.startsWith("workerd/files/"));
    assert.deepEqual(
      copied.map((file) => [file.path, file.mode]),
      [
        ["workerd/files/main.js", 0o644],
        ["workerd/files/tls/cert.pem", 0o644],
        ["workerd/files/tls/key.pem", 0o600],
      ],
    );
    const capnp = result.files.find((file) => file.path === "workerd/config.capnp")!.contents as string;
    assert.match(capnp, /privateKey = embed "files\/tls\/key\.pem"/);
  });
});
