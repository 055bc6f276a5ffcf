/**
 * Host name and path prefix normalisation of routes. The generated router
 * (routeHostname in worker/library.js) normalises a request's host the same
 * way: lower case, IDN labels in punycode (WHATWG URL rules) and no trailing
 * dot.
 */
import { isIPv4 } from "node:net";

/** The normalised form of a route's host, or a sentence describing why it is invalid. */
export type NormalisedHost = { host: string; wildcard: boolean } | { problem: string; code: HostProblemCode };

/** `invalid-host` for a malformed name, `invalid-wildcard` for a misplaced `*`. */
export type HostProblemCode = "invalid-host" | "invalid-wildcard";

/**
 * Normalises a route's host: an exact name such as `Whoami.Example.COM.`
 * becomes `whoami.example.com`, and a wildcard `*.Example.com` becomes
 * `*.example.com`. A wildcard has `*` as its whole first label and nowhere
 * else, and its suffix is a host name, not an IP address.
 */
export function normaliseRouteHost(text: string): NormalisedHost {
  if (text.startsWith("*.")) {
    const suffix = normaliseExactHost(text.slice(2));
    if ("problem" in suffix) {
      return { code: "invalid-wildcard", problem: `After "*." ${lowerFirst(suffix.problem)}` };
    }
    if (isIPv4(suffix.host)) {
      return {
        code: "invalid-wildcard",
        problem: `A wildcard matches host names, but "${suffix.host}" is an IPv4 address.`,
      };
    }
    return { host: `*.${suffix.host}`, wildcard: true };
  }
  if (text.includes("*")) {
    return {
      code: "invalid-wildcard",
      problem: 'A wildcard is "*." followed by a host name, as in *.example.com; "*" may not appear anywhere else.',
    };
  }
  return normaliseExactHost(text);
}

function normaliseExactHost(text: string): { host: string; wildcard: false } | { problem: string; code: "invalid-host" } {
  const invalid = (problem: string) => ({ problem, code: "invalid-host" as const });
  if (text === "") {
    return invalid("The host name is empty.");
  }
  if (/[\s/\\?#@*]/.test(text)) {
    return invalid('A host name contains no spaces, slashes, "?", "#", "@" or "*".');
  }
  if (text.startsWith("[")) {
    return invalid("Routes match host names and IPv4 addresses; IPv6 address literals are not supported.");
  }
  if (text.includes(":")) {
    return invalid('A route matches a host name without a port; remove the ":PORT" part.');
  }

  let hostname: string;
  try {
    hostname = new URL(`http://${text}/`).hostname;
  } catch {
    return invalid("It is not a valid host name.");
  }
  if (hostname.endsWith(".")) {
    hostname = hostname.slice(0, -1);
  }
  if (hostname.split(".").some((label) => label === "")) {
    return invalid("It has an empty label: two dots in a row, or a dot at the start.");
  }
  return { host: hostname, wildcard: false };
}

/**
 * Checks a route's path prefix. It starts with `/`, is not `/` alone, and has
 * no trailing `/`, query or fragment. It must already be in the form the URL
 * parser gives a request's path (percent-encoded, no `.` or `..` segments),
 * because the router compares it with that form. Returns a sentence
 * describing the problem, with the corrected form when there is one.
 */
export function checkPathPrefix(text: string): { problem: string; suggestion?: string } | undefined {
  if (!text.startsWith("/")) {
    return { problem: 'A path prefix starts with "/".', suggestion: `/${text}` };
  }
  if (text === "/") {
    return { problem: 'The path prefix "/" matches every path; leave "pathPrefix" out instead.' };
  }
  if (/[?#]/.test(text)) {
    return { problem: 'A path prefix matches the path only; it contains no "?" or "#".' };
  }
  if (text.endsWith("/")) {
    return {
      problem: 'A path prefix has no trailing "/": "/api" already matches "/api" and every path below "/api/".',
      suggestion: text.replace(/\/+$/, ""),
    };
  }
  const parsed = new URL(text, "http://host.invalid").pathname;
  if (parsed !== text) {
    return {
      problem: `The router compares the path as the URL parser writes it, which is "${parsed}".`,
      suggestion: parsed,
    };
  }
  return undefined;
}

/**
 * Normalises a fixed Host header, `NAME` or `NAME:PORT`, to what workerd
 * sends when the router sets it as the host of an `http:` subrequest URL:
 * lower case, punycode, no trailing dot, and no `:80`, the default port of
 * `http:`. IP addresses are accepted too, IPv6 in brackets.
 */
export function normaliseHostHeader(text: string): { host: string } | { problem: string } {
  if (text === "" || /[\s/\\?#@*]/.test(text)) {
    return { problem: 'A Host header is NAME or NAME:PORT, with no spaces, slashes, "?", "#", "@" or "*".' };
  }
  let url: URL;
  try {
    url = new URL(`http://${text}/`);
  } catch {
    return { problem: "It is not a valid NAME or NAME:PORT." };
  }
  const hostname = url.hostname.endsWith(".") ? url.hostname.slice(0, -1) : url.hostname;
  if (hostname.split(".").some((label) => label === "")) {
    return { problem: "It has an empty label: two dots in a row, or a dot at the start." };
  }
  return { host: url.port === "" ? hostname : `${hostname}:${url.port}` };
}

function lowerFirst(sentence: string): string {
  return sentence.charAt(0).toLowerCase() + sentence.slice(1);
}
