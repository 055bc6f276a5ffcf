// Helpers of the generated proxy worker: host name matching and forwarding
// headers. This file runs inside workerd as the module "library", and the
// tests import it in Node.

/**
 * Returns the host name a request is routed by: the request URL's host name,
 * which workerd has already lower-cased and converted to punycode, without a
 * trailing dot.
 * @param {URL} url
 * @returns {string}
 */
export function routeHostname(url) {
  const hostname = url.hostname;
  return hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
}

const ipv4Pattern = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * Extracts the client's IP address from workerd's `request.cf.clientIp`,
 * which also carries the port: `192.0.2.10:1234` on an IPv4-only socket,
 * `[::ffff:192.0.2.10]:1234` for an IPv4 client on a dual-stack socket and
 * `[2001:db8::1]:1234` for an IPv6 client. An IPv4-mapped address is returned
 * in IPv4 form. Returns undefined when the value is absent (as on Unix-socket
 * listeners) or not in one of these forms, so that no address is invented.
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
    address = end < 0 ? "" : clientIp.slice(1, end);
  } else {
    const colon = clientIp.lastIndexOf(":");
    address = colon < 0 ? clientIp : clientIp.slice(0, colon);
  }

  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) {
    return mapped[1];
  }
  if (ipv4Pattern.test(address)) {
    return address;
  }
  // NOTE: IPv6 zone ids (fe80::1%eth0) are not accepted; such a client gets
  // no X-Forwarded-For.
  if (address.includes(":") && /^[0-9a-f:.]+$/i.test(address)) {
    return address.toLowerCase();
  }
  return undefined;
}

/**
 * Builds the request sent upstream: the client's request with `target` as its
 * URL and the forwarding headers replaced by what workerd saw, so that a
 * client cannot choose what the upstream reads. Redirects are passed back to
 * the client instead of being followed.
 * @param {Request} request
 * @param {URL | string} target
 * @returns {Request}
 */
export function forwardRequest(request, target) {
  const original = new URL(request.url);
  const headers = new Headers(request.headers);

  const address = clientAddress(request.cf?.clientIp);
  if (address === undefined) {
    headers.delete("x-forwarded-for");
  } else {
    headers.set("x-forwarded-for", address);
  }
  headers.set("x-forwarded-host", original.host);
  headers.set("x-forwarded-proto", original.protocol.slice(0, -1));

  return new Request(target, {
    method: request.method,
    headers,
    body: request.body,
    redirect: "manual",
  });
}

/**
 * Returns the plain-text answer to a request whose host matches no route.
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
