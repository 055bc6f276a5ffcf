// Helpers of the generated proxy worker: routing, client addresses and
// forwarding headers. This file runs inside workerd as the module "library",
// and the tests import it in Node.

/**
 * Returns the host name a request is routed by: the request URL's host name,
 * which workerd has already lower-cased and converted to punycode, without a
 * trailing dot. The port is not part of it.
 * @param {URL} url
 * @returns {string}
 */
export function routeHostname(url) {
  const hostname = url.hostname;
  return hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
}

/**
 * Returns the key of `hosts` that a host name selects: the name itself, or
 * else the wildcard `*.SUFFIX` with the longest suffix, where at least one
 * label precedes the suffix. Costs one Map lookup per label, whatever the
 * number of hosts.
 * @param {Map<string, unknown>} hosts
 * @param {string} hostname
 * @returns {string | undefined}
 */
export function findHostKey(hosts, hostname) {
  if (hosts.has(hostname)) {
    return hostname;
  }
  // Start at 1: a wildcard never matches an empty first label (".example.com").
  let dot = hostname.indexOf(".", 1);
  while (dot >= 0) {
    const key = `*${hostname.slice(dot)}`;
    if (hosts.has(key)) {
      return key;
    }
    dot = hostname.indexOf(".", dot + 1);
  }
  return undefined;
}

/**
 * Returns the upstream of a request, or undefined when no route takes it.
 * `hosts` maps host names and `*.SUFFIX` wildcards to an upstream, or to
 * null for a host whose routes all have path prefixes. `pathPrefixes` maps
 * `KEY/PREFIX` (KEY as in `hosts`) to an upstream. On the selected host, the
 * longest prefix that ends at a `/` or at the end of the path wins. The
 * lookups go from the full path up to its first segment.
 * @param {Map<string, string | null>} hosts
 * @param {Map<string, string>} pathPrefixes
 * @param {URL} url
 * @returns {string | undefined}
 */
export function findUpstream(hosts, pathPrefixes, url) {
  const hostKey = findHostKey(hosts, routeHostname(url));
  if (hostKey === undefined) {
    return undefined;
  }
  if (pathPrefixes.size > 0) {
    let path = url.pathname;
    for (;;) {
      const upstream = pathPrefixes.get(hostKey + path);
      if (upstream !== undefined) {
        return upstream;
      }
      const slash = path.lastIndexOf("/");
      if (slash <= 0) {
        break;
      }
      path = path.slice(0, slash);
    }
  }
  return hosts.get(hostKey) ?? undefined;
}

const ipv4Pattern = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Returns the bits of an IPv4 address: 32 characters `0` or `1`, or
 * undefined when it is not a dotted quad of octets.
 * @param {string} address
 * @returns {string | undefined}
 */
function ipv4Bits(address) {
  const match = ipv4Pattern.exec(address);
  if (!match) {
    return undefined;
  }
  let bits = "";
  for (const octet of match.slice(1)) {
    const value = Number(octet);
    if (value > 255 || (octet.length > 1 && octet.startsWith("0"))) {
      return undefined;
    }
    bits += value.toString(2).padStart(8, "0");
  }
  return bits;
}

/**
 * Returns the bits of an IPv6 address (128 characters `0` or `1`), or
 * undefined when it is not one. Accepts `::` and an IPv4 tail.
 * @param {string} address
 * @returns {string | undefined}
 */
function ipv6Bits(address) {
  let text = address;
  let tailBits = "";
  let groupCount = 8;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    // An IPv4 tail (::ffff:192.0.2.1) stands for the last two groups.
    tailBits = ipv4Bits(text.slice(lastColon + 1));
    if (tailBits === undefined) {
      return undefined;
    }
    text = text.slice(0, lastColon + 1);
    text = text.endsWith("::") ? text : text.slice(0, -1);
    groupCount = 6;
  }

  const halves = text.split("::");
  if (halves.length > 2) {
    return undefined;
  }
  const head = halves[0] === "" ? [] : halves[0].split(":");
  const rest =
    halves.length === 1 || halves[1] === "" ? [] : halves[1].split(":");
  const missing = groupCount - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) {
    return undefined;
  }

  const zeros = Array(halves.length === 1 ? 0 : missing).fill("0");
  let bits = "";
  for (const group of [...head, ...zeros, ...rest]) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) {
      return undefined;
    }
    bits += parseInt(group, 16).toString(2).padStart(16, "0");
  }
  return bits + tailBits;
}

/**
 * Returns `4:` or `6:` followed by the bits of an address in the form
 * clientAddress returns, which is how the trusted proxy ranges are written.
 * @param {string} address
 * @returns {string | undefined}
 */
export function addressBits(address) {
  if (address.includes(":")) {
    const bits = ipv6Bits(address);
    return bits === undefined ? undefined : `6:${bits}`;
  }
  const bits = ipv4Bits(address);
  return bits === undefined ? undefined : `4:${bits}`;
}

/**
 * Extracts the client's IP address from workerd's `request.cf.clientIp`,
 * which also carries the port: `192.0.2.10:1234` on an IPv4-only socket,
 * `[::ffff:192.0.2.10]:1234` for an IPv4 client on a dual-stack socket and
 * `[2001:db8::1]:1234` for an IPv6 client. An IPv4-mapped address is returned
 * in IPv4 form and IPv6 in lower case. Returns undefined when the value is
 * absent (as on Unix-socket listeners) or not in one of these forms, so that
 * no address is invented.
 * @param {unknown} clientIp
 * @returns {string | undefined}
 */
export function clientAddress(clientIp) {
  if (typeof clientIp !== "string") {
    return undefined;
  }

  let address;
  if (clientIp.startsWith("[")) {
    const end = clientIp.indexOf("]");
    address = end < 0 ? "" : clientIp.slice(1, end).toLowerCase();
  } else {
    const colon = clientIp.lastIndexOf(":");
    address = colon < 0 ? clientIp : clientIp.slice(0, colon);
  }

  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (mapped && ipv4Bits(mapped[1]) !== undefined) {
    return mapped[1];
  }
  // NOTE: IPv6 zone ids (fe80::1%eth0) are not accepted; such a client gets
  // no address.
  return addressBits(address) === undefined ? undefined : address;
}

/**
 * Returns whether a client address lies in one of the trusted ranges, given
 * as a Map whose keys are `4:` or `6:` and the range's first PREFIX bits.
 * @param {string | undefined} address
 * @param {Map<string, string>} trustedProxies
 * @returns {boolean}
 */
export function isTrustedProxy(address, trustedProxies) {
  if (address === undefined || trustedProxies.size === 0) {
    return false;
  }
  const bits = addressBits(address);
  if (bits === undefined) {
    return false;
  }
  for (const prefix of trustedProxies.keys()) {
    if (bits.startsWith(prefix)) {
      return true;
    }
  }
  return false;
}

const tokenPattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Formats one element of an RFC 7239 `Forwarded` header. The client's node
 * is `unknown` when workerd reported no address. An IPv6 node is bracketed
 * and quoted, and so is any value that is not a token, such as `host:port`.
 * @param {string | undefined} address
 * @param {string} host
 * @param {string} proto
 * @returns {string}
 */
export function forwardedElement(address, host, proto) {
  let node = "unknown";
  if (address !== undefined) {
    node = address.includes(":") ? `[${address}]` : address;
  }
  return `for=${quoteIfNeeded(node)};host=${quoteIfNeeded(host)};proto=${quoteIfNeeded(proto)}`;
}

function quoteIfNeeded(value) {
  return tokenPattern.test(value)
    ? value
    : `"${value.replace(/["\\]/g, "\\$&")}"`;
}

/**
 * Settings of the forwarding headers: one switch per header, and the trusted
 * proxies whose own headers are kept.
 * @typedef {object} Forwarding
 * @property {Map<string, string>} trustedProxies
 * @property {boolean} xForwardedFor
 * @property {boolean} xForwardedHost
 * @property {boolean} xForwardedProto
 * @property {boolean} forwarded
 */

/** @type {Forwarding} */
const replaceXForwarded = {
  trustedProxies: new Map(),
  xForwardedFor: true,
  xForwardedHost: true,
  xForwardedProto: true,
  forwarded: false,
};

/**
 * Sets the forwarding headers. From an untrusted peer, each enabled header
 * is replaced with what workerd saw and each disabled one is removed, so a
 * client cannot choose what the upstream reads. From a trusted proxy, the
 * peer's address is appended to `X-Forwarded-For` and `Forwarded`, the
 * proxy's `X-Forwarded-Host` and `X-Forwarded-Proto` are kept when present,
 * and disabled headers pass unchanged.
 * @param {Headers} headers
 * @param {string | undefined} address
 * @param {URL} original
 * @param {Forwarding} forwarding
 */
export function setForwardingHeaders(headers, address, original, forwarding) {
  const host = original.host;
  const proto = original.protocol.slice(0, -1);
  if (!isTrustedProxy(address, forwarding.trustedProxies)) {
    // The common case, kept to one header call per header: each call crosses
    // from JavaScript into workerd.
    replaceHeader(
      headers,
      "x-forwarded-for",
      forwarding.xForwardedFor ? address : undefined,
    );
    replaceHeader(
      headers,
      "x-forwarded-host",
      forwarding.xForwardedHost ? host : undefined,
    );
    replaceHeader(
      headers,
      "x-forwarded-proto",
      forwarding.xForwardedProto ? proto : undefined,
    );
    replaceHeader(
      headers,
      "forwarded",
      forwarding.forwarded ? forwardedElement(address, host, proto) : undefined,
    );
    return;
  }

  // A trusted proxy's headers are extended or kept; disabled ones pass unchanged.
  if (forwarding.xForwardedFor) {
    appendToHeader(headers, "x-forwarded-for", address);
  }
  if (forwarding.xForwardedHost && !headers.has("x-forwarded-host")) {
    headers.set("x-forwarded-host", host);
  }
  if (forwarding.xForwardedProto && !headers.has("x-forwarded-proto")) {
    headers.set("x-forwarded-proto", proto);
  }
  if (forwarding.forwarded) {
    appendToHeader(
      headers,
      "forwarded",
      forwardedElement(address, host, proto),
    );
  }
}

/** Sets a header to `value`, or removes it when `value` is undefined. */
function replaceHeader(headers, name, value) {
  if (value === undefined) {
    headers.delete(name);
  } else {
    headers.set(name, value);
  }
}

/** Appends `value` to a header's list, leaving the header as it is when `value` is undefined. */
function appendToHeader(headers, name, value) {
  if (value === undefined) {
    return;
  }
  const incoming = headers.get(name);
  headers.set(name, incoming === null ? value : `${incoming}, ${value}`);
}

/**
 * Builds the request sent upstream: the client's request with `target` as
 * its URL and the forwarding headers set from what workerd saw. Redirects are
 * passed back to the client instead of being followed.
 * @param {Request} request
 * @param {URL | string} target
 * @param {Forwarding} [forwarding]
 * @param {URL} [original] the parsed `request.url`, when the caller has it
 * @returns {Request}
 */
export function forwardRequest(
  request,
  target,
  forwarding = replaceXForwarded,
  original = new URL(request.url),
) {
  // One copy of the headers, made by the new request and changed in place.
  const forwarded = new Request(target, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    redirect: "manual",
  });
  const address = clientAddress(request.cf?.clientIp);
  setForwardingHeaders(forwarded.headers, address, original, forwarding);
  return forwarded;
}

/**
 * Returns the plain-text response to a request whose host matches no route.
 * @param {404 | 421} status
 * @returns {Response}
 */
export function unmatchedResponse(status) {
  const text = status === 421 ? "Misdirected Request\n" : "Not Found\n";
  return new Response(text, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
