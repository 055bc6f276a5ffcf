/**
 * Checks of the proxy's behaviour: routes, how each upstream is reached
 * (pass-through, Host header, https), the network outbound's allow list and
 * the trusted proxies of the forwarding headers.
 */
import type { UpstreamConfig, WorkerdComposeConfig } from "../config/types.js";
import { closestMatch, formatPath, quote } from "../diagnostics.js";
import { addressInCidr, parseCidr, parseHostPort, type Cidr } from "../util/address.js";
import { checkPathPrefix, normaliseHostHeader, normaliseRouteHost } from "../util/hostname.js";
import { reportUnknownName, type Report } from "./report.js";
import { checkCidr } from "./text.js";

/** Returns whether a normalised host name keeps to DNS limits: 253 characters, 63 per label. */
function fitsDns(host: string): boolean {
  return host.length <= 253 && host.split(".").every((label) => label.length <= 63);
}

/** Suggests the host name alone when the user wrote a URL or a port. */
function routeHostHint(host: string): { hint?: string } {
  try {
    const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? new URL(host) : new URL(`http://${host}`);
    const result = normaliseRouteHost(url.hostname);
    if ("host" in result && url.hostname !== host) {
      return { hint: `Did you mean ${quote(url.hostname)}?` };
    }
  } catch {
    // no close match
  }
  return {};
}

/** workerd's names for address classes, accepted in a network service's `allow` and `deny`. */
export const addressClasses = ["public", "private", "local", "network", "unix", "unix-abstract"];

export function checkRoutes(config: WorkerdComposeConfig, report: Report): void {
  const upstreamNames = config.upstreams.map((upstream) => upstream.name);
  const routeKeys = new Map<string, number>();

  config.routes.forEach((route, index) => {
    const path = (key: string) => formatPath(["routes", index, key]);
    let normalised = normaliseRouteHost(route.host);
    if (!("problem" in normalised) && !fitsDns(normalised.host)) {
      normalised = { code: "invalid-host", problem: "A host name has at most 253 characters and 63 per label." };
    }
    if ("problem" in normalised) {
      report({
        code: normalised.code,
        path: path("host"),
        message: `Invalid host ${quote(route.host)}: ${normalised.problem}`,
        received: route.host,
        expected: "a host name such as app.example.com, or *.example.com",
        ...routeHostHint(route.host),
      });
    }

    let prefixValid = true;
    if (route.pathPrefix !== undefined) {
      const problem = checkPathPrefix(route.pathPrefix);
      if (problem !== undefined) {
        prefixValid = false;
        report({
          code: "invalid-path-prefix",
          expected: "a path prefix such as /api",
          path: path("pathPrefix"),
          message: `Invalid path prefix ${quote(route.pathPrefix)}: ${problem.problem}`,
          received: route.pathPrefix,
          ...(problem.suggestion === undefined ? {} : { hint: `Write "${problem.suggestion}".` }),
        });
      }
    }

    if (!("problem" in normalised) && prefixValid) {
      const key = normalised.host + (route.pathPrefix ?? "");
      const earlier = routeKeys.get(key);
      if (earlier === undefined) {
        routeKeys.set(key, index);
      } else {
        const other = config.routes[earlier]!;
        const prefix = route.pathPrefix === undefined ? "" : ` with path prefix ${quote(route.pathPrefix)}`;
        report({
          code: "duplicate-route",
          expected: "a host and path prefix routed once",
          path: path("host"),
          message: `Host ${quote(route.host)}${prefix} is already routed by routes[${earlier}] (${quote(other.host)}); both match ${quote(normalised.host)}.`,
          received: route.host,
        });
      }
    }

    if (route.upstream !== undefined && !upstreamNames.includes(route.upstream)) {
      reportUnknownName(report, path("upstream"), "upstream", route.upstream, upstreamNames);
    }
  });
}

/** Checks `passThrough`, `hostHeader` and `https` of every upstream. */
export function checkUpstreamTransport(config: WorkerdComposeConfig, report: Report): void {
  const mode = config.outbound?.mode ?? "external";

  config.upstreams.forEach((upstream, index) => {
    const path = (...keys: string[]) => formatPath(["upstreams", index, ...keys]);

    if (upstream.passThrough) {
      checkPassThrough(upstream, mode, path, report);
    }

    if (upstream.hostHeader !== undefined) {
      const normalised = normaliseHostHeader(upstream.hostHeader);
      if ("problem" in normalised) {
        report({
          code: "invalid-host-header",
          path: path("hostHeader"),
          message: `Invalid hostHeader ${quote(upstream.hostHeader)}: ${normalised.problem}`,
          received: upstream.hostHeader,
          expected: "NAME or NAME:PORT",
        });
      } else if (mode === "network") {
        report({
          code: "host-header-needs-external",
          expected: 'outbound mode "external"',
          path: path("hostHeader"),
          message: `Upstream "${upstream.name}" cannot have a fixed Host header with outbound mode "network": the network service connects to the host of the request URL, which is the upstream's address, and workerd takes the Host header from that URL.`,
          received: upstream.hostHeader,
          hint: 'Use outbound mode "external", or make the upstream\'s address the name it expects.',
        });
      }
    }

    if (upstream.https !== undefined && !upstream.passThrough) {
      checkHttps(upstream, config, path, report);
    }
  });
}

function checkPassThrough(
  upstream: UpstreamConfig,
  mode: "external" | "network",
  path: (...keys: string[]) => string,
  report: Report,
): void {
  if (upstream.address !== undefined || upstream.container !== undefined) {
    report({
      code: "pass-through-with-address",
      expected: 'a pass-through upstream without "address" and "container"',
      path: path("passThrough"),
      message: `Upstream "${upstream.name}" has "passThrough" and an ${upstream.address !== undefined ? '"address"' : '"container"'}; a pass-through upstream connects where the client asks, so it has neither.`,
    });
  }
  if (mode !== "network") {
    report({
      code: "pass-through-needs-network",
      expected: 'outbound mode "network"',
      path: path("passThrough"),
      message: `Upstream "${upstream.name}" passes requests through to the host the client asks for, which only a "network" outbound can reach.`,
      hint: 'Set outbound to { mode: "network", allow: [...] } with the CIDR ranges that clients may reach.',
    });
  }
  if (upstream.https !== undefined) {
    report({
      code: "pass-through-https",
      expected: 'no "https" on a pass-through upstream',
      path: path("https"),
      message: `Upstream "${upstream.name}" is a pass-through, which forwards over plain HTTP only.`,
    });
  }
}

function checkHttps(
  upstream: UpstreamConfig,
  config: WorkerdComposeConfig,
  path: (...keys: string[]) => string,
  report: Report,
): void {
  const https = upstream.https!;
  const address = addressOf(upstream, config);
  const mode = config.outbound?.mode ?? "external";

  if (https.certificateHost !== undefined) {
    const normalised = normaliseRouteHost(https.certificateHost);
    if ("problem" in normalised || normalised.wildcard) {
      report({
        code: "invalid-certificate-host",
        expected: "a host name without port or wildcard",
        path: path("https", "certificateHost"),
        message: `Invalid certificateHost ${quote(https.certificateHost)}: it must be a host name without port or wildcard.`,
        received: https.certificateHost,
      });
    } else if (mode === "network" && address !== undefined && normalised.host !== address.host.toLowerCase()) {
      report({
        code: "certificate-host-needs-external",
        expected: 'outbound mode "external"',
        path: path("https", "certificateHost"),
        message: `Upstream "${upstream.name}" cannot check its certificate against "${https.certificateHost}" with outbound mode "network", which checks it against the host it connects to, "${address.host}".`,
        hint: 'Use outbound mode "external", or give the upstream an address with the certificate\'s host name.',
      });
    }
  } else if (address !== undefined && address.kind !== "name") {
    report({
      code: "missing-certificate-host",
      path: path("https"),
      message: `Upstream "${upstream.name}" is reached over HTTPS at the IP address ${address.host}, so it needs "certificateHost": the host name its certificate is for, which workerd also sends as SNI.`,
      expected: "certificateHost",
    });
  }
}

/** Returns the address workerd connects to for the upstream, or undefined when it has none or it is invalid. */
function addressOf(upstream: UpstreamConfig, config: WorkerdComposeConfig) {
  if (upstream.address !== undefined) {
    const parsed = parseHostPort(upstream.address);
    return typeof parsed === "string" ? undefined : parsed;
  }
  const container = upstream.container;
  if (container === undefined) {
    return undefined;
  }
  if (config.deployment.target === "systemd-nsenter" && container.ip !== undefined) {
    return { host: container.ip, kind: "ipv4" as const };
  }
  return { host: container.name ?? upstream.name, kind: "name" as const };
}

export function checkOutbound(config: WorkerdComposeConfig, report: Report): void {
  const outbound = config.outbound;
  if (outbound?.mode !== "network") {
    return;
  }
  const ranges: Record<"allow" | "deny", Cidr[]> = { allow: [], deny: [] };
  for (const key of ["allow", "deny"] as const) {
    (outbound[key] ?? []).forEach((entry, index) => {
      if (addressClasses.includes(entry)) {
        return;
      }
      const path = formatPath(["outbound", key, index]);
      const expected = `a CIDR range or one of ${addressClasses.join(", ")}`;
      const suggestion = closestMatch(entry, addressClasses);
      if (suggestion !== undefined && !/[\d:]/.test(entry)) {
        report({
          code: "invalid-cidr",
          path,
          message: `Invalid destination ${quote(entry)}: it is neither a CIDR range nor one of workerd's address classes.`,
          received: entry,
          expected,
          hint: `Did you mean ${quote(suggestion)}?`,
        });
        return;
      }
      checkCidr(entry, path, expected, report);
      const cidr = parseCidr(entry);
      if (typeof cidr !== "string") {
        ranges[key].push(cidr);
      }
    });
  }

  const passThrough = config.upstreams.find((upstream) => upstream.passThrough);
  if (passThrough !== undefined) {
    checkPassThroughAllowList(outbound.allow, passThrough.name, report);
  }
  checkAllowListFamilies(config, outbound.allow, ranges.allow, report);
  checkUpstreamsAllowed(config, ranges, report);
}

/** A client of a pass-through picks the destination, so `allow` must name the ranges it may pick from. */
function checkPassThroughAllowList(allow: string[], upstreamName: string, report: Report): void {
  allow.forEach((entry, index) => {
    const cidr = parseCidr(entry);
    const broad = addressClasses.includes(entry) || (typeof cidr !== "string" && cidr.prefix === 0);
    if (broad) {
      report({
        code: "pass-through-needs-allowlist",
        path: formatPath(["outbound", "allow", index]),
        message: `Upstream "${upstreamName}" lets the client pick the destination, so "allow" must list the CIDR ranges it may reach; "${entry}" allows a whole class of addresses.`,
        received: entry,
        expected: "a CIDR range with a non-zero prefix, such as 10.89.0.0/24 or fd00::/64",
      });
    }
  });
}

/**
 * Warns when `allow` covers IPv4 only although a destination is a DNS name,
 * which may resolve to IPv6 addresses that workerd would then refuse.
 * Container names resolve through Podman's DNS to the network's IPv4
 * subnet, so they do not count.
 */
function checkAllowListFamilies(config: WorkerdComposeConfig, allow: string[], ranges: Cidr[], report: Report): void {
  const hasClass = allow.some((entry) => addressClasses.includes(entry));
  const ipv4 = ranges.some((range) => range.family === 4);
  const ipv6 = ranges.some((range) => range.family === 6);
  if (hasClass || !ipv4 || ipv6) {
    return;
  }
  const byName = config.upstreams.find((upstream) => {
    if (upstream.passThrough) {
      return true;
    }
    const address = upstream.address === undefined ? undefined : parseHostPort(upstream.address);
    return typeof address === "object" && address.kind === "name";
  });
  if (byName !== undefined) {
    report({
      severity: "warning",
      code: "allowlist-without-ipv6",
      expected: "an allow list with IPv6 ranges too",
      path: "outbound.allow",
      message: `"allow" lists IPv4 ranges only, but upstream "${byName.name}" is reached by a name that may resolve to IPv6 addresses, which the network service then rejects.`,
      hint: "Add the IPv6 range of the same destinations, such as fd00::/64, or an IPv4 address to the upstream.",
    });
  }
}

/** Reports upstreams whose IP address the allow and deny lists keep workerd from reaching. */
function checkUpstreamsAllowed(
  config: WorkerdComposeConfig,
  ranges: Record<"allow" | "deny", Cidr[]>,
  report: Report,
): void {
  const outbound = config.outbound!;
  // Address classes such as "private" are not evaluated here.
  if (outbound.mode !== "network" || outbound.allow.some((entry) => addressClasses.includes(entry))) {
    return;
  }
  config.upstreams.forEach((upstream, index) => {
    const address = addressOf(upstream, config);
    if (address === undefined || address.kind === "name") {
      return;
    }
    const allowed = ranges.allow.some((range) => addressInCidr(address.host, range));
    const denied = ranges.deny.some((range) => addressInCidr(address.host, range));
    if (!allowed || denied) {
      report({
        code: "upstream-not-allowed",
        expected: "an allow list that contains every upstream address",
        path: formatPath(["upstreams", index, upstream.address === undefined ? "container" : "address"]),
        message: `Upstream "${upstream.name}" is at ${address.host}, which outbound.${denied ? "deny contains" : "allow does not contain"}, so workerd would reject the connection.`,
        received: address.host,
      });
    }
  });
}

export function checkForwarded(config: WorkerdComposeConfig, report: Report): void {
  (config.forwarded?.trustedProxies ?? []).forEach((entry, index) => {
    const path = formatPath(["forwarded", "trustedProxies", index]);
    const cidr = parseCidr(entry);
    if (typeof cidr === "string") {
      report({
        code: "invalid-cidr",
        path,
        message: `Invalid trusted proxy range "${entry}": ${cidr}`,
        received: entry,
        expected: "a CIDR range such as 10.0.0.0/8 or fd00::/64; a single address is /32 or /128",
      });
    } else if (cidr.prefix === 0) {
      report({
        severity: "warning",
        code: "trusts-every-peer",
        expected: "CIDR ranges of the proxies in front of workerd",
        path,
        message: `Trusting "${entry}" lets every client write the forwarding headers that the upstream reads.`,
        hint: "List the addresses of the proxies in front of workerd instead.",
      });
    }
  });
}
