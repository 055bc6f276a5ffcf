/**
 * Resolves the raw layer (`workerd` in the config): the files it embeds get
 * their place in the output tree, and `embed` paths are rewritten to point
 * there, relative to config.capnp.
 */
import path from "node:path";

import type { ResolvedEmbed, ResolvedWorkerd } from "../config/resolved.js";
import type { WorkerdRawConfig } from "../config/types.js";
import { Embed } from "../model/workerd.js";
import { structSchema, type FieldType } from "../model/workerd-schema.js";

/** Folder below config.capnp's directory that contains the embedded files. */
export const embedFolder = "files";

export function resolveRawLayer(raw: WorkerdRawConfig | undefined): ResolvedWorkerd {
  const embeds = new Map<string, ResolvedEmbed>();
  const rewritten = rewriteStruct("Config", { ...raw, experimental: undefined }, embeds) as Omit<
    ResolvedWorkerd,
    "experimental" | "embeds"
  >;
  return {
    ...rewritten,
    services: rewritten.services ?? [],
    sockets: rewritten.sockets ?? [],
    experimental: raw?.experimental ?? false,
    embeds: [...embeds.values()].sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0)),
  };
}

function rewriteStruct(typeName: string, value: Record<string, unknown>, embeds: Map<string, ResolvedEmbed>) {
  const schema = structSchema(typeName);
  const result: Record<string, unknown> = {};
  for (const [field, fieldValue] of Object.entries(value)) {
    const type = schema.fields[field];
    if (fieldValue === undefined || type === undefined) {
      continue;
    }
    result[field] = rewriteValue(type, fieldValue, field, embeds);
  }
  return result;
}

function rewriteValue(type: FieldType, value: unknown, field: string, embeds: Map<string, ResolvedEmbed>): unknown {
  switch (type.kind) {
    case "text":
    case "data": {
      const source = typeof value === "object" && value !== null ? (value as { embed?: string }).embed : undefined;
      if (source === undefined) {
        return value;
      }
      const target = `${embedFolder}/${path.posix.normalize(source)}`;
      const previous = embeds.get(target);
      embeds.set(target, {
        source,
        target,
        text: (previous?.text ?? true) && type.kind === "text",
        secret: (previous?.secret ?? false) || field === "privateKey",
      });
      return new Embed(target);
    }
    case "struct":
      return typeof value === "string"
        ? value
        : rewriteStruct(type.struct, value as Record<string, unknown>, embeds);
    case "list":
      return (value as unknown[]).map((item) => rewriteValue(type.element, item, field, embeds));
    default:
      return value;
  }
}
