/** The proxy worker's helpers (worker/library.js), run in Node for the cases that need no network. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

// @ts-expect-error: worker code is plain JavaScript with JSDoc types
import { clientAddress, forwardRequest, routeHostname, unmatchedResponse } from "../worker/library.js";

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
