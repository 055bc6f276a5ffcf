/**
 * Checks of the user's workers (`workers`) and of the routes that send
 * requests to them. A worker's name is also the proxy's binding to it, so
 * it shares one namespace with the upstreams.
 */
import type { WorkerdComposeConfig } from "../config/types.js";
import { formatPath } from "../diagnostics.js";
import { checkDateValue } from "./date.js";
import { reportUnknownName, type Report } from "./report.js";

export function checkUserWorkers(config: WorkerdComposeConfig, today: Date, report: Report): void {
  const workers = config.workers ?? [];
  const upstreamNames = new Set(config.upstreams.map((upstream) => upstream.name));
  const seen = new Map<string, number>();

  workers.forEach((worker, index) => {
    const path = (...keys: string[]) => formatPath(["workers", index, ...keys]);
    const earlier = seen.get(worker.name);
    if (earlier !== undefined) {
      report({
        code: "duplicate-name",
        expected: "a worker name used once",
        path: path("name"),
        message: `Worker name "${worker.name}" is already used by workers[${earlier}].`,
        received: worker.name,
      });
    }
    seen.set(worker.name, index);

    if (upstreamNames.has(worker.name) || worker.name === "proxy" || worker.name === "outbound") {
      report({
        code: "reserved-name",
        expected: "a name that no upstream or generated service has",
        path: path("name"),
        message: `Worker name "${worker.name}" is already the name of an upstream or of a service the compiler generates; choose another name.`,
        received: worker.name,
      });
    }
    if (worker.compatibilityDate !== undefined) {
      checkDateValue(worker.compatibilityDate, path("compatibilityDate"), today, report);
    }
  });

  const workerNames = workers.map((worker) => worker.name);
  config.routes.forEach((route, index) => {
    if ((route.upstream === undefined) === (route.worker === undefined)) {
      report({
        code: "invalid-route-target",
        path: formatPath(["routes", index]),
        message: `Route "${route.host}" must name exactly one of "upstream" and "worker".`,
        expected: '{ "upstream": NAME } or { "worker": NAME }',
      });
    } else if (route.worker !== undefined && !workerNames.includes(route.worker)) {
      reportUnknownName(report, formatPath(["routes", index, "worker"]), "worker", route.worker, workerNames);
    }
  });
}
