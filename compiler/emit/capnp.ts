/**
 * Prints the workerd config model as Cap'n Proto text. Each service body
 * becomes a named constant (`const proxyWorker :Workerd.Worker`), and the
 * `config` constant refers to them, so the file reads top-down.
 */
import { Embed, type Config, type Service } from "../model/workerd.js";
import { toCapnpIdentifier, uniqueNames } from "../util/identifier.js";

/** A reference to another constant of the same file (`.name`). */
class ConstReference {
  constructor(readonly name: string) {}
}

type Value = string | number | boolean | Embed | ConstReference | Value[] | Struct;
interface Struct {
  [field: string]: Value | undefined;
}

const maxInlineWidth = 80;

const serviceKinds = {
  worker: "Worker",
  external: "ExternalServer",
  network: "Network",
} as const;

type ServiceKind = keyof typeof serviceKinds;

/** Prints `config` as the text of a config.capnp file whose top-level constant is named `config`. */
export function printCapnpConfig(config: Config): string {
  const hoisted = config.services.map((service) => {
    const kind = serviceKindOf(service);
    return { service, kind, body: (service as unknown as Record<ServiceKind, Struct>)[kind] };
  });
  const constNames = uniqueNames(
    hoisted.map(({ service, kind }) => toCapnpIdentifier(service.name) + serviceKinds[kind].replace("Server", "")),
  );

  const services = hoisted.map(({ service, kind }, index) => ({
    name: service.name,
    [kind]: new ConstReference(constNames[index]!),
  }));
  const root: Struct = { services, sockets: config.sockets as unknown as Struct[] };

  const blocks = [
    'using Workerd = import "/workerd/workerd.capnp";',
    printConst("config", "Config", root),
    ...hoisted.map(({ kind, body }, index) => printConst(constNames[index]!, serviceKinds[kind], body)),
  ];
  return `${blocks.join("\n\n")}\n`;
}

function serviceKindOf(service: Service): ServiceKind {
  const kinds = (Object.keys(serviceKinds) as ServiceKind[]).filter((kind) => kind in service);
  if (kinds.length !== 1) {
    throw new Error(`service "${service.name}" must have exactly one kind, found ${kinds.length}`);
  }
  return kinds[0]!;
}

function printConst(name: string, type: string, value: Struct): string {
  return `const ${name} :Workerd.${type} = ${printValue(value, "", true)};`;
}

function printValue(value: Value, indent: string, forceBlock = false): string {
  if (typeof value === "string") {
    return quoteCapnpString(value);
  }
  if (typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  if (value instanceof Embed) {
    return `embed ${quoteCapnpString(value.path)}`;
  }
  if (value instanceof ConstReference) {
    return `.${value.name}`;
  }
  if (Array.isArray(value)) {
    return printList(value, indent);
  }
  return printStruct(value, indent, forceBlock);
}

function printList(items: Value[], indent: string): string {
  if (items.length === 0) {
    return "[]";
  }
  const inner = `${indent}  `;
  const lines = items.map((item) => `${inner}${printValue(item, inner)},`);
  return `[\n${lines.join("\n")}\n${indent}]`;
}

function printStruct(struct: Struct, indent: string, forceBlock: boolean): string {
  const fields = Object.entries(struct).filter((entry): entry is [string, Value] => entry[1] !== undefined);
  if (fields.length === 0) {
    return "()";
  }

  const inline = `(${fields.map(([key, value]) => `${key} = ${printValue(value, indent)}`).join(", ")})`;
  if (!forceBlock && !inline.includes("\n") && indent.length + inline.length <= maxInlineWidth) {
    return inline;
  }

  const inner = `${indent}  `;
  const lines = fields.map(([key, value]) => `${inner}${key} = ${printValue(value, inner)},`);
  return `(\n${lines.join("\n")}\n${indent})`;
}

/**
 * Quotes a string as a Cap'n Proto text literal. The parser accepts only
 * C-style escapes (`\uXXXX` is a parse error), so control characters become
 * `\xHH`; other characters, non-ASCII included, stay as UTF-8.
 */
export function quoteCapnpString(text: string): string {
  let quoted = '"';
  for (const character of text) {
    const code = character.codePointAt(0)!;
    if (character === '"' || character === "\\") {
      quoted += `\\${character}`;
    } else if (character === "\n") {
      quoted += "\\n";
    } else if (character === "\t") {
      quoted += "\\t";
    } else if (character === "\r") {
      quoted += "\\r";
    } else if (code < 0x20 || code === 0x7f) {
      quoted += `\\x${code.toString(16).padStart(2, "0")}`;
    } else {
      quoted += character;
    }
  }
  return `${quoted}"`;
}
