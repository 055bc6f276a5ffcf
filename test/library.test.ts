/** The proxy worker's helpers (worker/library.js), run in Node for the cases that need no network. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { resolveConfig, trustedProxyBits } from "../compiler/resolve/index.js";
import { addressBits as compilerAddressBits } from "../compiler/util/address.js";
import { normaliseHostHeader, normaliseRouteHost } from "../compiler/util/hostname.js";
import type { WorkerdComposeConfig } from "../compiler/index.js";
import {
  addressBits,
  clientAddress,
  findHostKey,
  findUpstream,
  forwardedElement,
  forwardRequest,
  isTrustedProxy,
  routeHostname,
  setForwardingHeaders,
  unmatchedResponse,
  // @ts-expect-error: worker code is plain JavaScript with JSDoc types
} from "../worker/library.js";

describe("clientAddress", () => {
  const cases: [unknown, string | undefined][] = [
    ["192.0.2.10:1234", "192.0.2.10"],
    ["[::ffff:127.0.0.1]:54660", "127.0.0.1"],
    ["[::FFFF:192.0.2.10]:1", "192.0.2.10"],
    ["[::1]:57188", "::1"],
    ["[2001:DB8::1]:443", "2001:db8::1"],
    ["192.0.2.10", "192.0.2.10"],
    [undefined, undefined],
    ["", undefined],
    ["[::1", undefined],
    ["unix:/run/workerd.sock", undefined],
    ["[fe80::1%eth0]:80", undefined],
    ["not an address:80", undefined],
    ["[::ffff:1.2.3.400]:80", undefined],
    ["[1::2::3]:80", undefined],
    ["256.1.1.1:80", undefined],
    ["[64:ff9b::192.0.2.1]:80", "64:ff9b::192.0.2.1"],
    [42, undefined],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)} gives ${JSON.stringify(expected)}`, () => {
      assert.equal(clientAddress(input), expected);
    });
  }
});

describe("routeHostname", () => {
  test("drops one trailing dot", () => {
    assert.equal(routeHostname(new URL("http://Example.COM./")), "example.com");
  });

  test("keeps punycode", () => {
    assert.equal(routeHostname(new URL("http://bücher.example/")), "xn--bcher-kva.example");
  });

  // The compiler normalises a route's host and the router a request's host;
  // a route must match every request for its name.
  const agreementCases = [
    "whoami.example.com",
    "WhoAmI.Example.COM",
    "whoami.example.com.",
    "Bücher.Example.",
    "xn--bcher-kva.example",
    "ÉCOLE.example",
    "exa%41mple.com",
    "0x7f.1",
    "127.0.0.1",
    "a_b.example",
    "localhost",
  ];
  for (const input of agreementCases) {
    test(`compiler and router agree on ${input}`, () => {
      const compiled = normaliseRouteHost(input);
      assert.ok("host" in compiled, JSON.stringify(compiled));
      assert.equal(routeHostname(new URL(`http://${input}/`)), compiled.host);
      assert.equal(routeHostname(new URL(`http://${input}:8080/`)), compiled.host);
    });
  }

  test("compiler and router agree on wildcard suffixes", () => {
    const compiled = normaliseRouteHost("*.Bücher.Example.");
    assert.ok("host" in compiled);
    assert.equal(compiled.host, "*.xn--bcher-kva.example");
    const hosts = new Map([[compiled.host, "up"]]);
    assert.equal(findHostKey(hosts, routeHostname(new URL("http://Shop.BÜCHER.example./"))), compiled.host);
  });

  test("fixed Host header as the router sends it", () => {
    const cases = [
      ["Internal.Example:8080", "internal.example:8080"],
      ["internal.example.:80", "internal.example"],
      ["Bücher.example", "xn--bcher-kva.example"],
      ["[::1]:8443", "[::1]:8443"],
      ["10.0.0.1", "10.0.0.1"],
    ];
    for (const [input, expected] of cases) {
      const compiled = normaliseHostHeader(input!);
      assert.ok("host" in compiled, input);
      assert.equal(compiled.host, expected, input);
      // The router builds the subrequest URL from it, which must not change it.
      assert.equal(new URL("/path?q", `http://${compiled.host}`).host, compiled.host, input);
    }
  });
});

describe("findUpstream", () => {
  const hosts = new Map<string, string | null>([
    ["app.example.com", "exact"],
    ["*.example.com", "wildcard"],
    ["*.b.example.com", "deeper"],
    ["api.example.com", "api"],
    ["docs.example.com", null],
    ["*.docs.example.com", "docsWildcard"],
  ]);
  const pathPrefixes = new Map([
    ["api.example.com/v2", "v2"],
    ["api.example.com/v2/admin", "admin"],
    ["docs.example.com/guide", "guide"],
    ["*.example.com/static", "static"],
  ]);

  const cases: [string, string | undefined][] = [
    ["http://app.example.com/", "exact"],
    ["http://APP.example.com./x", "exact"],
    ["http://x.example.com/", "wildcard"],
    ["http://x.y.example.com/", "wildcard"],
    ["http://b.example.com/", "wildcard"],
    ["http://x.b.example.com/", "deeper"],
    ["http://example.com/", undefined],
    ["http://.example.com/", undefined],
    ["http://com/", undefined],
    ["http://xexample.com/", undefined],
    ["http://api.example.com/", "api"],
    ["http://api.example.com/v2", "v2"],
    ["http://api.example.com/v2/", "v2"],
    ["http://api.example.com/v2x", "api"],
    ["http://api.example.com/v2/admin/x", "admin"],
    ["http://api.example.com/v2/administrator", "v2"],
    ["http://api.example.com/static/x", "api"],
    ["http://x.example.com/static/app.js", "static"],
    ["http://x.example.com/staticx", "wildcard"],
    ["http://docs.example.com/guide/a", "guide"],
    ["http://docs.example.com/other", undefined],
    ["http://docs.example.com/", undefined],
    ["http://x.docs.example.com/other", "docsWildcard"],
    ["http://127.0.0.1/", undefined],
    ["http://[::1]/", undefined],
  ];
  for (const [url, expected] of cases) {
    test(`${url} goes to ${expected}`, () => {
      assert.equal(findUpstream(hosts, pathPrefixes, new URL(url)), expected);
    });
  }

  test("without path prefixes", () => {
    assert.equal(findUpstream(hosts, new Map(), new URL("http://api.example.com/v2")), "api");
  });
});

describe("addressBits", () => {
  const addresses = [
    "127.0.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "::",
    "::1",
    "2001:db8::1",
    "2001:DB8:0:0:1:0:0:1",
    "fe80::1:2",
    "1:2:3:4:5:6:7:8",
    "1::",
    "::ffff:192.0.2.1",
    "64:ff9b::192.0.2.1",
    "1:2:3:4:5:6:1.2.3.4",
  ];
  for (const address of addresses) {
    test(`router and compiler agree on ${address}`, () => {
      const family = address.includes(":") ? 6 : 4;
      assert.equal(addressBits(address), `${family}:${compilerAddressBits(address)}`);
    });
  }

  for (const invalid of ["", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1:2:3:4:5:6:7", "1::2::3", "::ffff:1.2.3", "g::1"]) {
    test(`rejects ${JSON.stringify(invalid)}`, () => {
      assert.equal(addressBits(invalid), undefined);
    });
  }
});

describe("isTrustedProxy", () => {
  function trusted(...cidrs: string[]): Map<string, string> {
    return new Map(cidrs.flatMap((cidr) => trustedProxyBits(cidr).map((bits) => [bits, cidr] as [string, string])));
  }

  const cases: [string[], string | undefined, boolean][] = [
    [["10.0.0.0/8"], "10.1.2.3", true],
    [["10.0.0.0/8"], "11.0.0.1", false],
    [["10.1.2.3/32"], "10.1.2.3", true],
    [["10.1.2.3/32"], "10.1.2.4", false],
    [["0.0.0.0/0"], "192.0.2.1", true],
    [["0.0.0.0/0"], "::1", false],
    [["fd00::/8"], "fd12::1", true],
    [["fd00::/8"], "fe80::1", false],
    [["::1/128"], "::1", true],
    [["::1/128"], "127.0.0.1", false],
    [["::ffff:10.0.0.0/104"], "10.9.9.9", true],
    [["::ffff:10.0.0.0/104"], "11.0.0.1", false],
    [["::/0"], "192.0.2.1", true],
    [["::/0"], "2001:db8::1", true],
    [["::ffff:0:0/96"], "198.51.100.1", true],
    [["2001:db8::/32"], "192.0.2.1", false],
    [["10.0.0.0/8"], undefined, false],
    [[], "10.0.0.1", false],
  ];
  for (const [cidrs, address, expected] of cases) {
    test(`${address} in ${cidrs.join(",") || "nothing"}: ${expected}`, () => {
      assert.equal(isTrustedProxy(address, trusted(...cidrs)), expected);
    });
  }
});

describe("forwardedElement", () => {
  test("IPv4 node is a token", () => {
    assert.equal(forwardedElement("192.0.2.1", "a.example", "http"), "for=192.0.2.1;host=a.example;proto=http");
  });

  test("IPv6 node is bracketed and quoted", () => {
    assert.equal(forwardedElement("2001:db8::1", "a.example", "https"), 'for="[2001:db8::1]";host=a.example;proto=https');
  });

  test("host with port is quoted", () => {
    assert.equal(forwardedElement("192.0.2.1", "a.example:8080", "http"), 'for=192.0.2.1;host="a.example:8080";proto=http');
  });

  test("missing address is unknown", () => {
    assert.equal(forwardedElement(undefined, "[::1]:80", "http"), 'for=unknown;host="[::1]:80";proto=http');
  });
});

describe("setForwardingHeaders", () => {
  const original = new URL("http://app.example.com:8080/x");
  const forged = {
    "x-forwarded-for": "203.0.113.1",
    "x-forwarded-host": "evil.example",
    "x-forwarded-proto": "https",
    forwarded: "for=203.0.113.1",
  };
  function forwarding(overrides: Record<string, unknown> = {}) {
    return {
      trustedProxies: new Map(trustedProxyBits("10.0.0.0/8").map((bits) => [bits, "10.0.0.0/8"])),
      xForwardedFor: true,
      xForwardedHost: true,
      xForwardedProto: true,
      forwarded: true,
      ...overrides,
    };
  }

  test("untrusted peer gets every header replaced", () => {
    const headers = new Headers(forged);
    setForwardingHeaders(headers, "192.0.2.7", original, forwarding());
    assert.equal(headers.get("x-forwarded-for"), "192.0.2.7");
    assert.equal(headers.get("x-forwarded-host"), "app.example.com:8080");
    assert.equal(headers.get("x-forwarded-proto"), "http");
    assert.equal(headers.get("forwarded"), 'for=192.0.2.7;host="app.example.com:8080";proto=http');
  });

  test("trusted peer extends the chain", () => {
    const headers = new Headers(forged);
    setForwardingHeaders(headers, "10.0.0.5", original, forwarding());
    assert.equal(headers.get("x-forwarded-for"), "203.0.113.1, 10.0.0.5");
    assert.equal(headers.get("x-forwarded-host"), "evil.example");
    assert.equal(headers.get("x-forwarded-proto"), "https");
    assert.equal(headers.get("forwarded"), 'for=203.0.113.1, for=10.0.0.5;host="app.example.com:8080";proto=http');
  });

  test("trusted peer without headers gets them set", () => {
    const headers = new Headers();
    setForwardingHeaders(headers, "10.0.0.5", original, forwarding());
    assert.equal(headers.get("x-forwarded-for"), "10.0.0.5");
    assert.equal(headers.get("x-forwarded-host"), "app.example.com:8080");
  });

  test("disabled headers removed from untrusted peer", () => {
    const headers = new Headers(forged);
    const off = { xForwardedFor: false, xForwardedHost: false, xForwardedProto: false, forwarded: false };
    setForwardingHeaders(headers, "192.0.2.7", original, forwarding(off));
    for (const name of Object.keys(forged)) {
      assert.equal(headers.get(name), null, name);
    }
  });

  test("disabled headers pass from trusted peer", () => {
    const headers = new Headers(forged);
    const off = { xForwardedFor: false, xForwardedHost: false, xForwardedProto: false, forwarded: false };
    setForwardingHeaders(headers, "10.0.0.5", original, forwarding(off));
    for (const [name, value] of Object.entries(forged)) {
      assert.equal(headers.get(name), value, name);
    }
  });

  test("no address: X-Forwarded-For removed, Forwarded unknown", () => {
    const headers = new Headers(forged);
    setForwardingHeaders(headers, undefined, original, forwarding());
    assert.equal(headers.get("x-forwarded-for"), null);
    assert.equal(headers.get("forwarded"), 'for=unknown;host="app.example.com:8080";proto=http');
  });
});

describe("resolved trusted proxies", () => {
  test("IPv4-mapped range gets IPv4 form", () => {
    const config: WorkerdComposeConfig = {
      compatibilityDate: "2024-12-01",
      sockets: [{ name: "http", port: 80 }],
      networks: [{ name: "net" }],
      upstreams: [{ name: "app", address: "127.0.0.1:8080" }],
      routes: [{ host: "app.example.com", upstream: "app" }],
      forwarded: { trustedProxies: ["::ffff:127.0.0.0/104", "127.0.0.0/8", "fd00::/8"] },
      deployment: { target: "quadlet", image: "localhost/workerd", network: "net" },
    };
    const { trustedProxies } = resolveConfig(config).forwarded;
    assert.deepEqual(trustedProxies, [
      { cidr: "::ffff:127.0.0.0/104", bits: `6:${"0".repeat(80)}${"1".repeat(16)}01111111` },
      { cidr: "::ffff:127.0.0.0/104", bits: "4:01111111" },
      { cidr: "fd00::/8", bits: "6:11111101" },
    ]);
  });
});

describe("forwardRequest", () => {
  test("replaces forged headers", () => {
    const incoming = new Request("http://whoami.example.com:8080/x", {
      headers: { "x-forwarded-for": "203.0.113.1", "x-forwarded-host": "evil", "x-forwarded-proto": "https" },
    });
    Object.defineProperty(incoming, "cf", { value: { clientIp: "[::ffff:192.0.2.7]:5000" } });
    const forwarded = forwardRequest(incoming, "http://whoami.example.com:8080/x");
    assert.equal(forwarded.headers.get("x-forwarded-for"), "192.0.2.7");
    assert.equal(forwarded.headers.get("x-forwarded-host"), "whoami.example.com:8080");
    assert.equal(forwarded.headers.get("x-forwarded-proto"), "http");
    assert.equal(forwarded.redirect, "manual");
  });

  test("removes client header without address", () => {
    const incoming = new Request("http://a.example/", { headers: { "x-forwarded-for": "203.0.113.1" } });
    const forwarded = forwardRequest(incoming, "http://a.example/");
    assert.equal(forwarded.headers.get("x-forwarded-for"), null);
  });
});

describe("unmatchedResponse", () => {
  test("404 and 421 are plain text", async () => {
    for (const [status, text] of [
      [404, "Not Found\n"],
      [421, "Misdirected Request\n"],
    ] as const) {
      const response = unmatchedResponse(status);
      assert.equal(response.status, status);
      assert.equal(await response.text(), text);
      assert.match(response.headers.get("content-type")!, /^text\/plain/);
    }
  });
});
