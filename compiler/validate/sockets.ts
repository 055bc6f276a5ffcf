/** Checks of sockets bound directly to one upstream, which workerd serves without JavaScript. */
import type { WorkerdComposeConfig } from "../config/types.js";
import { formatPath } from "../diagnostics.js";
import { reportUnknownName, type Report } from "./report.js";

const headerSwitches = ["xForwardedFor", "xForwardedHost", "xForwardedProto", "forwarded"] as const;
const headerDefaults = { xForwardedFor: true, xForwardedHost: true, xForwardedProto: true, forwarded: false };

export function checkSocketUpstreams(config: WorkerdComposeConfig, report: Report): void {
  const upstreamNames = config.upstreams.map((upstream) => upstream.name);

  config.sockets.forEach((socket, index) => {
    if (socket.upstream === undefined) {
      return;
    }
    const path = formatPath(["sockets", index, "upstream"]);
    const upstream = config.upstreams.find((candidate) => candidate.name === socket.upstream);
    if (upstream === undefined) {
      reportUnknownName(report, path, "upstream", socket.upstream, upstreamNames);
      return;
    }

    const direct = `Socket "${socket.name}" sends requests straight to upstream "${upstream.name}", without JavaScript`;
    const enabled = headerSwitches.filter((key) => config.forwarded?.[key] ?? headerDefaults[key]);
    if (enabled.length > 0) {
      report({
        code: "direct-socket-needs-no-headers",
        expected: "every forwarding header switched off",
        path,
        message: `${direct}, so it cannot add forwarding headers, but ${enabled.map((key) => `forwarded.${key}`).join(", ")} ${enabled.length === 1 ? "is" : "are"} on.`,
        hint: `Set ${enabled.map((key) => `forwarded.${key}`).join(", ")} to false, or remove "upstream" from the socket and add a route.`,
      });
    }
    if ((config.outbound?.mode ?? "external") !== "external") {
      report({
        code: "direct-socket-needs-external",
        expected: 'outbound mode "external"',
        path,
        message: `${direct}, which needs the upstream's external service, but outbound.mode is "network".`,
      });
    }
    if (upstream.passThrough === true || upstream.hostHeader !== undefined) {
      report({
        code: "direct-socket-needs-plain-upstream",
        expected: 'an upstream without "passThrough" and "hostHeader"',
        path,
        message: `${direct}, so it can neither pick the destination per request nor rewrite the Host header; upstream "${upstream.name}" sets ${upstream.passThrough === true ? "passThrough" : "hostHeader"}.`,
      });
    }
  });
}
