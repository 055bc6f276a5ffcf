/**
 * Prints the workerd config model as Cap'n Proto text. Each service body
 * becomes a named constant (`const proxyWorker :Workerd.Worker`), and the
 * `config` constant refers to them, so the file reads top-down. Fields are
 * printed in the order the model object lists them, typed by the table in
 * model/workerd-schema.ts.
 */
import type { Config, Service } from "../model/workerd.js";
import { structSchema, unionMembersSet, type FieldType } from "../model/workerd-schema.js";
import { toCapnpIdentifier, uniqueNames } from "../util/identifier.js";

/** A reference to another constant of the same file (`.name`). */
class ConstReference {
  constructor(readonly name: string) {}
}

const maxInlineWidth = 80;

/** Schema type and constant-name suffix of each service kind. */
const serviceKinds = {
  worker: { type: "Worker", suffix: "Worker" },
  external: { type: "ExternalServer", suffix: "External" },
  network: { type: "Network", suffix: "Network" },
  disk: { type: "DiskDirectory", suffix: "Disk" },
  bucket: { type: "ClusterBucket", suffix: "Bucket" },
  assets: { type: "AssetsService", suffix: "Assets" },
  cache: { type: "CacheDirectory", suffix: "Cache" },
} as const;

type ServiceKind = keyof typeof serviceKinds;

/** Prints `config` as the text of a config.capnp file whose top-level constant is named `config`. */
export function printCapnpConfig(config: Config): string {
  const services = config.services ?? [];
  const kinds = services.map(serviceKindOf);
  const constNames = uniqueNames(
    services.map((service, index) => toCapnpIdentifier(service.name) + serviceKinds[kinds[index]!].suffix),
  );

  // The root refers to each service body by its constant's name.
  const root: Record<string, unknown> = {
    ...config,
    services: services.map((service, index) => {
      const kind = kinds[index]!;
      return { ...service, [kind]: new ConstReference(constNames[index]!) };
    }),
  };
  if (config.services === undefined) {
    delete root.services;
  }

  const blocks = [
    'using Workerd = import "/workerd/workerd.capnp";',
    printConst("config", "Config", root),
    ...services.map((service, index) => {
      const { type } = serviceKinds[kinds[index]!];
      return printConst(constNames[index]!, type, service[kinds[index]!] as Record<string, unknown>);
    }),
  ];
  return `${blocks.join("\n\n")}\n`;
}

function serviceKindOf(service: Service): ServiceKind {
  const members = unionMembersSet("Service", service as unknown as Record<string, unknown>);
  if (members.length !== 1) {
    throw new Error(`service "${service.name}" must have exactly one kind, found ${members.length}`);
  }
  return members[0] as ServiceKind;
}

function printConst(name: string, type: string, value: Record<string, unknown>): string {
  return `const ${name} :Workerd.${type} = ${printStruct(value, type, "", true)};`;
}

function printValue(value: unknown, type: FieldType, indent: string): string {
  if (value instanceof ConstReference) {
    return `.${value.name}`;
  }
  switch (type.kind) {
    case "text":
      return isEmbed(value) ? printEmbed(value) : quoteCapnpString(value as string);
    case "data":
      return printData(value);
    case "bool":
    case "uint32":
    case "uint64":
      return String(value);
    case "void":
      return "void";
    case "enum":
      return value as string;
    case "list":
      return printList(value as unknown[], type.element, indent);
    case "struct":
      // A string stands for a struct whose first field is the name, as
      // workerd's schema allows for service and Durable Object designators.
      if (typeof value === "string") {
        return quoteCapnpString(value);
      }
      return printStruct(value as Record<string, unknown>, type.struct, indent, false);
  }
}

function printList(items: unknown[], element: FieldType, indent: string): string {
  if (items.length === 0) {
    return "[]";
  }
  const inner = `${indent}  `;
  const lines = items.map((item) => `${inner}${printValue(item, element, inner)},`);
  return `[\n${lines.join("\n")}\n${indent}]`;
}

function printStruct(struct: Record<string, unknown>, typeName: string, indent: string, forceBlock: boolean): string {
  const schema = structSchema(typeName);
  const fields = Object.entries(struct).filter(([, value]) => value !== undefined);
  if (fields.length === 0) {
    return "()";
  }

  const fieldType = (key: string): FieldType => {
    const type = schema.fields[key];
    if (type === undefined) {
      throw new Error(`${typeName} has no field "${key}" in workerd.capnp`);
    }
    return type;
  };
  const inline = `(${fields.map(([key, value]) => `${key} = ${printValue(value, fieldType(key), indent)}`).join(", ")})`;
  if (!forceBlock && !inline.includes("\n") && indent.length + inline.length <= maxInlineWidth) {
    return inline;
  }

  const inner = `${indent}  `;
  const lines = fields.map(([key, value]) => `${inner}${key} = ${printValue(value, fieldType(key), inner)},`);
  return `(\n${lines.join("\n")}\n${indent})`;
}

function isEmbed(value: unknown): value is { embed: string } {
  return typeof value === "object" && value !== null && typeof (value as { embed?: unknown }).embed === "string";
}

function printEmbed(value: { embed: string }): string {
  return `embed ${quoteCapnpString(value.embed)}`;
}

/** Data is a file (`embed`) or bytes, written as a hexadecimal literal `0x"…"`. */
function printData(value: unknown): string {
  if (isEmbed(value)) {
    return printEmbed(value);
  }
  const bytes =
    value instanceof Uint8Array ? value : Buffer.from((value as { base64: string }).base64, "base64");
  return `0x"${Buffer.from(bytes).toString("hex")}"`;
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
