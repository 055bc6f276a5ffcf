/**
 * Tagged unions of the config (`deployment` by `target`, `outbound` by
 * `mode`), found in the JSON Schema where the generator wrote them as
 * `if`/`then` pairs on the tag. A value must pick exactly one member: its tag
 * must be present and known, and it may hold no key of another member. The
 * schema validator alone reports such mistakes as a list of unrelated errors
 * from every member, so this check runs first and returns which ajv errors it
 * has explained. A new tagged union in config/types.ts (with
 * `@discriminator`) is checked without any change here.
 */
import { closestMatch, formatPath, quote, type Diagnostic } from "../diagnostics.js";
import schema from "../../schema/workerd-compose.schema.json" with { type: "json" };

interface SchemaNode {
  $ref?: string;
  type?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  allOf?: SchemaNode[];
  if?: { properties?: Record<string, { const?: unknown }> };
  then?: SchemaNode;
}

interface UnionMember {
  tagValue: string;
  node: SchemaNode;
  keys: string[];
}

interface TaggedUnion {
  tag: string;
  members: UnionMember[];
}

export interface UnionCheckResult {
  diagnostics: Diagnostic[];
  /** Returns whether a schema error at `path` is already explained by a union diagnostic. */
  explains(path: string): boolean;
}

const root = schema as SchemaNode & { definitions: Record<string, SchemaNode> };

/** Checks every tagged union in `value`, which need not match the schema otherwise. */
export function checkUnions(value: unknown): UnionCheckResult {
  const diagnostics: Diagnostic[] = [];
  const explainedSubtrees: string[] = [];
  const explainedKeys = new Set<string>();

  const visit = (node: SchemaNode, current: unknown, segments: (string | number)[]): void => {
    const resolved = resolve(node);
    const union = taggedUnionOf(resolved);
    if (union !== undefined && isObject(current)) {
      const member = checkMember(union, current, segments, diagnostics);
      if (member === undefined) {
        explainedSubtrees.push(formatPath(segments));
        return;
      }
      for (const key of foreignKeys(union, member, current)) {
        explainedKeys.add(formatPath([...segments, key]));
      }
      visit(member.node, current, segments);
      return;
    }

    if (resolved.properties && isObject(current)) {
      for (const [key, child] of Object.entries(resolved.properties)) {
        if (key in current) {
          visit(child, current[key], [...segments, key]);
        }
      }
    }
    if (resolved.items && Array.isArray(current)) {
      current.forEach((item, index) => visit(resolved.items!, item, [...segments, index]));
    }
  };
  visit(root, value, []);

  return {
    diagnostics,
    explains: (path) =>
      explainedKeys.has(path) ||
      explainedSubtrees.some(
        (subtree) =>
          subtree === "" || path === subtree || path.startsWith(`${subtree}.`) || path.startsWith(`${subtree}[`),
      ),
  };
}

/** Returns the member that `value`'s tag selects, or reports why there is none. */
function checkMember(
  union: TaggedUnion,
  value: Record<string, unknown>,
  segments: (string | number)[],
  diagnostics: Diagnostic[],
): UnionMember | undefined {
  const tagValues = union.members.map((member) => member.tagValue);
  const expected = tagValues.map((tagValue) => quote(tagValue)).join(" | ");
  const where = segments.length === 0 ? "the config" : quote(formatPath(segments));
  const tagPath = formatPath([...segments, union.tag]);
  const tag = value[union.tag];

  if (tag === undefined) {
    const keys = Object.keys(value);
    const candidates = union.members.filter((member) => keys.every((key) => member.keys.includes(key)));
    diagnostics.push({
      severity: "error",
      code: "missing-key",
      path: tagPath,
      message: `Required key ${quote(union.tag)} is missing from ${where}; it selects one of ${expected}.`,
      received: value,
      expected,
      ...(candidates.length === 1 && keys.length > 0
        ? { hint: `Add ${union.tag}: ${quote(candidates[0]!.tagValue)}; the other keys belong to it.` }
        : {}),
    });
    return undefined;
  }

  const member = union.members.find((candidate) => candidate.tagValue === tag);
  if (member === undefined) {
    const suggestion = typeof tag === "string" ? closestMatch(tag, tagValues) : undefined;
    diagnostics.push({
      severity: "error",
      code: "invalid-value",
      path: tagPath,
      message: `Invalid value ${quote(tag)}: expected ${tagValues.map((tagValue) => quote(tagValue)).join(" or ")}.`,
      received: tag,
      expected,
      ...(suggestion ? { hint: `Did you mean ${quote(suggestion)}?` } : {}),
    });
    return undefined;
  }

  for (const key of foreignKeys(union, member, value)) {
    const owners = union.members.filter((other) => other.keys.includes(key)).map((other) => quote(other.tagValue));
    diagnostics.push({
      severity: "error",
      code: "union-conflict",
      path: formatPath([...segments, key]),
      message: `Key ${quote(key)} belongs to ${union.tag} ${owners.join(" or ")}, but ${where} has ${union.tag} ${quote(member.tagValue)}.`,
      received: key,
      expected: member.keys.map((memberKey) => quote(memberKey)).join(", "),
      hint: `Remove ${quote(key)}, or set ${union.tag} to ${owners[0]}.`,
    });
  }
  return member;
}

/** Keys of `value` that the selected member lacks but another member has. */
function foreignKeys(union: TaggedUnion, member: UnionMember, value: Record<string, unknown>): string[] {
  return Object.keys(value).filter(
    (key) => !member.keys.includes(key) && union.members.some((other) => other.keys.includes(key)),
  );
}

function taggedUnionOf(node: SchemaNode): TaggedUnion | undefined {
  const branches = node.allOf?.filter((branch) => branch.if?.properties && branch.then);
  if (!branches || branches.length === 0) {
    return undefined;
  }
  const tag = Object.keys(branches[0]!.if!.properties!)[0]!;
  const members = branches.map((branch): UnionMember => {
    const memberNode = resolve(branch.then!);
    return {
      tagValue: String(branch.if!.properties![tag]!.const),
      node: memberNode,
      keys: Object.keys(memberNode.properties ?? {}),
    };
  });
  return { tag, members };
}

function resolve(node: SchemaNode): SchemaNode {
  let current = node;
  while (current.$ref !== undefined) {
    const name = current.$ref.replace(/^#\/definitions\//, "");
    const target = root.definitions[name];
    if (target === undefined) {
      throw new Error(`the schema refers to a missing definition ${current.$ref}`);
    }
    current = target;
  }
  return current;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
