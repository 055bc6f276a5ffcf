/**
 * Checks of the raw layer (`workerd` in the config): what workerd itself
 * would accept silently or reject only at start. workerd's parser keeps the
 * last of two union members and the last of two equal names, so the
 * compiler rejects both. References to services must name one. Features
 * that this workerd cannot run, or runs only with `--experimental`, are
 * reported here with the fix.
 */
import type { WorkerdComposeConfig } from "../config/types.js";
import { closestMatch, formatPath, type Diagnostic } from "../diagnostics.js";
import type { Service, Worker, Worker_Binding } from "../model/workerd.js";
import { structSchema, walkModel, type VisitedField, type VisitedStruct } from "../model/workerd-schema.js";
import { checkDateValue } from "./date.js";

type Report = (diagnostic: Omit<Diagnostic, "severity"> & { severity?: Diagnostic["severity"] }) => void;

/** The service that workerd defines when a config does not: public internet access. */
const implicitServices = ["internet"];

/**
 * Fields that this workerd binary cannot use, by `Struct.field`, with the
 * reason (checked against workerd 1.20261123.1).
 */
const unsupportedFields: Record<string, string> = {
  "Worker.inherit": "workerd 1.20261123.1 crashes at start when a worker inherits another",
  "Worker.durableObjectUniqueKeyModifier": 'workerd 1.20261123.1 rejects it as "not implemented yet"',
  "Worker_Module.pythonModule": "Python workers download their runtime from the internet when workerd starts",
  "Worker_Binding.parameter": "parameter bindings are filled in only by inheriting workers, which this workerd cannot run",
};

/** Fields that workerd accepts only with `--experimental`, by `Struct.field`. */
const experimentalFields = new Set([
  "Config.cluster",
  "Service.bucket",
  "Service.assets",
  "Service.cache",
  "Worker.moduleFallback",
  "Worker.accessBlobHeader",
  "Worker_Module.bundled",
  "Worker_Binding.analyticsEngine",
  "Worker_Binding.unsafeEval",
  "Worker_Binding.memoryCache",
  "Worker_Binding.workerLoader",
  "Worker_Binding.workerdDebugPort",
  "Worker_Binding.durableObjectClass",
  "Worker_DurableObjectNamespace.ephemeralLocal",
]);

/** Fields whose value names a service, by `Struct.field`. */
const serviceReferenceFields = new Set([
  "Socket.service",
  "TracingOptions.otlp",
  "AssetsService.userWorker",
  "WorkflowsEngine.actorClass",
  "WorkflowsEngine_Workflow.bindingService",
  "Worker.globalOutbound",
  "Worker.cacheApiOutbound",
  "Worker.tails",
  "Worker.streamingTails",
  "Worker.accessBindingService",
  "Worker_Binding.service",
  "Worker_Binding.durableObjectClass",
  "Worker_Binding.kvNamespace",
  "Worker_Binding.r2Bucket",
  "Worker_Binding.queue",
  "Worker_Binding.analyticsEngine",
  "Worker_Binding_Hyperdrive.designator",
]);

/** Names of the services and sockets that the compiler generates, each with the config key that causes it. */
export interface GeneratedNames {
  services: Map<string, string>;
  sockets: Map<string, string>;
}

/**
 * Returns the problems of `config.workerd`, and of the bindings of the
 * user's workers, which are written with the same types, in config order.
 */
export function checkRawLayer(
  config: WorkerdComposeConfig,
  generated: GeneratedNames,
  today: Date,
  report: Report,
): void {
  const raw = config.workerd ?? {};
  const services = raw.services ?? [];
  checkNames("service", "services", services, generated.services, report);
  checkNames("socket", "sockets", raw.sockets ?? [], generated.sockets, report);

  const known = new Map<string, Service | undefined>();
  for (const name of [...generated.services.keys(), ...implicitServices]) {
    known.set(name, undefined);
  }
  for (const service of services) {
    known.set(service.name, service);
  }

  const experimental = raw.experimental === true;
  const visitStruct = (visited: VisitedStruct) => checkStruct(visited, today, known, report);
  const visitField = (visited: VisitedField) => checkField(visited, experimental, known, report);
  if (config.workerd !== undefined) {
    const root = { ...raw } as Record<string, unknown>;
    delete root.experimental;
    walkModel("Config", root, ["workerd"], visitStruct, visitField);
  }

  (config.workers ?? []).forEach((worker, workerIndex) => {
    const path = ["workers", workerIndex, "bindings"];
    checkUniqueNames("binding", worker.bindings ?? [], path, report);
    (worker.bindings ?? []).forEach((binding, index) => {
      walkModel("Worker_Binding", binding as unknown as Record<string, unknown>, [...path, index], visitStruct, visitField);
    });
  });
}

function checkNames(
  kind: "service" | "socket",
  key: string,
  items: readonly { name: string }[],
  generated: Map<string, string>,
  report: Report,
): void {
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    const path = formatPath(["workerd", key, index, "name"]);
    const earlier = seen.get(item.name);
    if (earlier !== undefined) {
      report({
        code: "duplicate-name",
        expected: "a name used once",
        path,
        message: `The ${kind} name "${item.name}" is already used by workerd.${key}[${earlier}].`,
        received: item.name,
      });
    }
    seen.set(item.name, index);

    const owner = generated.get(item.name);
    if (owner !== undefined) {
      report({
        code: "raw-name-collision",
        expected: "a name that no generated service or socket has",
        path,
        message: `The ${kind} name "${item.name}" is already used by a generated ${kind} (${owner}).`,
        received: item.name,
        hint: `Rename the ${kind} in workerd.${key}.`,
      });
    }
  });
}

function checkStruct(
  { typeName, value, path }: VisitedStruct,
  today: Date,
  known: Map<string, Service | undefined>,
  report: Report,
): void {
  const schema = structSchema(typeName);
  const union = schema.union ?? [];
  // In the order the config lists them, so that the path points at the later one.
  const members = Object.keys(value).filter((key) => union.includes(key) && value[key] !== undefined);
  if (members.length > 1) {
    report({
      code: "union-conflict",
      expected: "exactly one member of the union",
      path: formatPath([...path, members[1]!]),
      message: `Only one of ${union.map((member) => `"${member}"`).join(", ")} may be set, but ${members.map((member) => `"${member}"`).join(" and ")} are.`,
      received: members,
      hint: "workerd would keep the last one silently; remove all but one.",
    });
  } else if (members.length === 0 && schema.unionRequired) {
    report({
      code: "union-missing",
      path: formatPath(path),
      message: `Exactly one of ${union.map((member) => `"${member}"`).join(", ")} must be set.`,
      expected: union.join(" | "),
    });
  }

  if (typeName === "Worker") {
    checkWorker(value as Worker, path, today, known, report);
  }
}

function checkField(
  { typeName, field, type, value, path }: VisitedField,
  experimental: boolean,
  known: Map<string, Service | undefined>,
  report: Report,
): void {
  const key = `${typeName}.${field}`;
  // A list is visited once as a whole and once per item: check it once.
  const isListItem = typeof path[path.length - 1] === "number";
  if (!isListItem && unsupportedFields[key] !== undefined) {
    report({
      code: "unsupported-feature",
      expected: "a field that this workerd supports",
      path: formatPath(path),
      message: `"${field}" cannot be used: ${unsupportedFields[key]}.`,
    });
  }
  if (!isListItem && experimentalFields.has(key) && !experimental) {
    report({
      code: "experimental-feature",
      expected: "workerd.experimental set to true",
      path: formatPath(path),
      message: `"${field}" is an experimental workerd feature, which workerd runs only with --experimental.`,
      hint: "Set workerd.experimental to true to allow it and pass --experimental to workerd.",
    });
  }

  if (type.kind === "struct" && serviceReferenceFields.has(key)) {
    const name = typeof value === "string" ? value : (value as { name?: string }).name;
    if (name !== undefined && !known.has(name)) {
      reportUnknownService(name, path, [...known.keys()], report);
    }
  }
  if ((type.kind === "text" || type.kind === "data") && typeof value === "object" && value !== null) {
    checkEmbedPath(value as { embed?: string }, path, report);
  }
}

function checkWorker(
  worker: Worker,
  path: (string | number)[],
  today: Date,
  known: Map<string, Service | undefined>,
  report: Report,
): void {
  if (worker.inherit === undefined) {
    if (worker.compatibilityDate === undefined) {
      report({
        code: "missing-key",
        expected: "a compatibility date as YYYY-MM-DD",
        path: formatPath([...path, "compatibilityDate"]),
        message: 'Required key "compatibilityDate" is missing from the worker.',
      });
    } else {
      checkDateValue(worker.compatibilityDate, formatPath([...path, "compatibilityDate"]), today, report);
    }
  }

  checkUniqueNames("module", worker.modules ?? [], [...path, "modules"], report);
  checkUniqueNames("binding", worker.bindings ?? [], [...path, "bindings"], report);
  checkUniqueClasses(worker, path, report);
  checkStorage(worker, path, known, report);
  (worker.bindings ?? []).forEach((binding, index) =>
    checkNamespaceBinding(worker, binding, [...path, "bindings", index], report),
  );
}

function checkUniqueNames(kind: string, items: readonly { name: string }[], path: (string | number)[], report: Report): void {
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    const earlier = seen.get(item.name);
    if (earlier !== undefined) {
      report({
        code: "duplicate-name",
        expected: "a name used once",
        path: formatPath([...path, index, "name"]),
        message: `The ${kind} name "${item.name}" is already used by ${formatPath([...path, earlier])}.`,
        received: item.name,
      });
    }
    seen.set(item.name, index);
  });
}

function checkUniqueClasses(worker: Worker, path: (string | number)[], report: Report): void {
  const seen = new Map<string, number>();
  (worker.durableObjectNamespaces ?? []).forEach((namespace, index) => {
    const earlier = seen.get(namespace.className);
    if (earlier !== undefined) {
      report({
        code: "duplicate-name",
        expected: "a name used once",
        path: formatPath([...path, "durableObjectNamespaces", index, "className"]),
        message: `The class "${namespace.className}" already has a namespace in ${formatPath([...path, "durableObjectNamespaces", earlier])}.`,
        received: namespace.className,
      });
    }
    seen.set(namespace.className, index);
  });
}

/** workerd refuses stored namespaces without storage, and storage on a service that is not a writable disk. */
function checkStorage(
  worker: Worker,
  path: (string | number)[],
  known: Map<string, Service | undefined>,
  report: Report,
): void {
  const storage = worker.durableObjectStorage;
  const stored = (worker.durableObjectNamespaces ?? []).some((namespace) => namespace.uniqueKey !== undefined);
  if (stored && (storage === undefined || storage.none !== undefined)) {
    report({
      code: "missing-storage",
      expected: "durableObjectStorage with inMemory or localDisk",
      path: formatPath([...path, "durableObjectStorage"]),
      message: "The worker has Durable Object namespaces with a uniqueKey but no storage for them.",
      hint: 'Set durableObjectStorage to { inMemory: true } or { localDisk: "NAME" } with a writable disk service.',
    });
  }

  const diskName = storage?.localDisk;
  if (diskName === undefined) {
    return;
  }
  const diskPath = formatPath([...path, "durableObjectStorage", "localDisk"]);
  if (!known.has(diskName)) {
    reportUnknownService(diskName, [...path, "durableObjectStorage", "localDisk"], [...known.keys()], report);
  } else if (known.get(diskName)?.disk?.writable !== true) {
    report({
      code: "invalid-storage",
      expected: 'a disk service with "writable: true"',
      path: diskPath,
      message: `Service "${diskName}" is not a disk service with "writable: true", which Durable Object storage needs.`,
      received: diskName,
    });
  }
}

function checkNamespaceBinding(worker: Worker, binding: Worker_Binding, path: (string | number)[], report: Report): void {
  const designator = binding.durableObjectNamespace;
  if (designator === undefined) {
    return;
  }
  const className = typeof designator === "string" ? designator : designator.className;
  const serviceName = typeof designator === "string" ? undefined : designator.serviceName;
  const classes = (worker.durableObjectNamespaces ?? []).map((namespace) => namespace.className);
  if (serviceName === undefined && !classes.includes(className)) {
    const suggestion = closestMatch(className, classes);
    report({
      code: "unknown-class",
      path: formatPath([...path, "durableObjectNamespace"]),
      message: `The worker has no Durable Object namespace for the class "${className}".`,
      received: className,
      expected: classes.length === 0 ? "a class listed in durableObjectNamespaces" : classes.join(", "),
      ...(suggestion ? { hint: `Did you mean "${suggestion}"?` } : {}),
    });
  }
}

function checkEmbedPath(value: { embed?: string }, path: (string | number)[], report: Report): void {
  const file = value.embed;
  if (file === undefined) {
    return;
  }
  const segments = file.split("/");
  if (file === "" || file.startsWith("/") || segments.includes("..") || file.includes("\\")) {
    report({
      code: "invalid-embed-path",
      expected: "a relative path inside the config's directory",
      path: formatPath([...path, "embed"]),
      message: `Invalid embed path "${file}": it must be relative to the config file and stay inside its directory.`,
      received: file,
      hint: "Copy or link the file next to the config and give its relative path.",
    });
  }
}

function reportUnknownService(name: string, path: (string | number)[], known: string[], report: Report): void {
  const suggestion = closestMatch(name, known);
  report({
    code: "unknown-service",
    path: formatPath(path),
    message: `There is no service named "${name}".`,
    received: name,
    expected: known.map((item) => `"${item}"`).join(", "),
    ...(suggestion ? { hint: `Did you mean "${suggestion}"?` } : {}),
  });
}
