/** Identifiers for generated code: Cap'n Proto constant names. */

/**
 * Converts a name to a Cap'n Proto declaration name: camelCase, starting with
 * a lower-case letter, letters and digits only (`api_gateway` and
 * `Api-Gateway` both become `apiGateway`). Different names can convert to the
 * same identifier; uniqueNames() resolves that.
 */
export function toCapnpIdentifier(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter((word) => word !== "");
  let identifier = words
    .map((word, index) =>
      index === 0 ? word[0]!.toLowerCase() + word.slice(1) : word[0]!.toUpperCase() + word.slice(1),
    )
    .join("");
  if (!/^[a-z]/.test(identifier)) {
    identifier = `s${identifier.charAt(0).toUpperCase()}${identifier.slice(1)}`;
  }
  return identifier;
}

/** Makes names unique by appending 2, 3, … to later repeats, keeping the first as it is. */
export function uniqueNames(names: readonly string[]): string[] {
  const taken = new Set<string>();
  return names.map((name) => {
    let candidate = name;
    for (let counter = 2; taken.has(candidate); counter++) {
      candidate = `${name}${counter}`;
    }
    taken.add(candidate);
    return candidate;
  });
}
