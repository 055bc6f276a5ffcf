/**
 * Encodes the workerd config model as a binary Cap'n Proto message, the form
 * `workerd serve --binary` reads, with the capnp-es bindings generated from
 * workerd.capnp (capnp/workerd-capnp.ts). It walks the same model and table
 * as the text printer, so both forms describe one config.
 *
 * capnp-es keeps the last member set of a union without complaint, so every
 * struct's union is checked before anything is written.
 */
import * as capnp from "capnp-es";

import * as bindings from "../capnp/workerd-capnp.js";
import type { Config } from "../model/workerd.js";
import { structSchema, unionMembersSet, type FieldType } from "../model/workerd-schema.js";

/** Returns a file's bytes for an `embed` path of the model. */
export type EmbedReader = (path: string) => Uint8Array;

// The generated classes are addressed by name and their members by the
// naming convention of capnp-es: a setter per field, `_initX()` for structs,
// groups and Data, `_initX(length)` for lists.
type CapnpStruct = capnp.Struct & Record<string, unknown>;
type CapnpList = { get(index: number): CapnpStruct; set(index: number, value: unknown): void };

const textDecoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes `config` as an unpacked Cap'n Proto message with a Config root. */
export function encodeBinaryConfig(config: Config, readEmbed: EmbedReader): Uint8Array {
  const message = new capnp.Message();
  const root = message.initRoot(bindings.Config) as unknown as CapnpStruct;
  encodeStruct(root, "Config", config as unknown as Record<string, unknown>, readEmbed);
  return new Uint8Array(message.toArrayBuffer());
}

function encodeStruct(
  target: CapnpStruct,
  typeName: string,
  value: Record<string, unknown>,
  readEmbed: EmbedReader,
): void {
  const schema = structSchema(typeName);
  const members = unionMembersSet(typeName, value);
  if (members.length > 1) {
    throw new Error(`${typeName} sets ${members.join(" and ")}, members of one union`);
  }

  for (const [key, fieldValue] of Object.entries(value)) {
    if (fieldValue === undefined) {
      continue;
    }
    const type = schema.fields[key];
    if (type === undefined) {
      throw new Error(`${typeName} has no field "${key}" in workerd.capnp`);
    }
    encodeField(target, key, type, fieldValue, readEmbed);
  }
}

function encodeField(target: CapnpStruct, key: string, type: FieldType, value: unknown, readEmbed: EmbedReader): void {
  const init = `_init${key[0]!.toUpperCase()}${key.slice(1)}`;
  switch (type.kind) {
    case "text":
      target[key] = toText(value, readEmbed);
      return;
    case "bool":
    case "uint32":
      target[key] = value;
      return;
    case "uint64":
      target[key] = BigInt(value as number);
      return;
    case "void":
      target[key] = true;
      return;
    case "enum":
      target[key] = enumIndex(type.values, value);
      return;
    case "data": {
      const bytes = toBytes(value, readEmbed);
      callInit<capnp.Data>(target, init, bytes.byteLength).copyBuffer(bytes);
      return;
    }
    case "struct": {
      const child = callInit<CapnpStruct>(target, init);
      encodeStructValue(child, type.struct, value, readEmbed);
      return;
    }
    case "list": {
      const items = value as unknown[];
      const list = callInit<CapnpList>(target, init, items.length);
      items.forEach((item, index) => encodeListItem(list, index, type.element, item, readEmbed));
      return;
    }
  }
}

function encodeListItem(list: CapnpList, index: number, element: FieldType, item: unknown, readEmbed: EmbedReader): void {
  switch (element.kind) {
    case "text":
      list.set(index, toText(item, readEmbed));
      return;
    case "enum":
      list.set(index, enumIndex(element.values, item));
      return;
    case "struct":
      encodeStructValue(list.get(index), element.struct, item, readEmbed);
      return;
    default:
      throw new Error(`lists of ${element.kind} do not occur in workerd.capnp`);
  }
}

/** Encodes a struct, or a string in a struct's place, which sets the first field (a service or class name). */
function encodeStructValue(target: CapnpStruct, typeName: string, value: unknown, readEmbed: EmbedReader): void {
  if (typeof value === "string") {
    const firstField = Object.keys(structSchema(typeName).fields)[0]!;
    target[firstField] = value;
    return;
  }
  encodeStruct(target, typeName, value as Record<string, unknown>, readEmbed);
}

function callInit<T>(target: CapnpStruct, init: string, ...args: number[]): T {
  const method = target[init];
  if (typeof method !== "function") {
    throw new Error(`${target.constructor.name} has no ${init}()`);
  }
  return (method as (...values: number[]) => T).apply(target, args);
}

function enumIndex(values: readonly string[], value: unknown): number {
  const index = values.indexOf(value as string);
  if (index < 0) {
    throw new Error(`"${String(value)}" is not one of ${values.join(", ")}`);
  }
  return index;
}

function toText(value: unknown, readEmbed: EmbedReader): string {
  if (typeof value === "string") {
    return value;
  }
  const path = (value as { embed: string }).embed;
  return textDecoder.decode(readEmbed(path));
}

function toBytes(value: unknown, readEmbed: EmbedReader): Uint8Array {
  if (value instanceof Uint8Array) {
    return value;
  }
  const { embed, base64 } = value as { embed?: string; base64?: string };
  if (embed !== undefined) {
    return readEmbed(embed);
  }
  return new Uint8Array(Buffer.from(base64!, "base64"));
}
