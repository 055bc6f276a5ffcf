/** Prints unit file models as text: one `[Section]` block each, separated by blank lines. */
import type { UnitFile } from "../model/unit.js";

/** Prints a unit file, checking that no key repeats in a section unless it is a list key. */
export function printUnitFile(unit: UnitFile): string {
  const blocks = unit.sections
    .filter((section) => section.entries.length > 0)
    .map((section) => {
      const seen = new Set<string>();
      const lines = [`[${section.name}]`];
      for (const { key, value } of section.entries) {
        if (seen.has(key) && !unit.listKeys.has(key)) {
          throw new Error(`key ${key}= appears twice in [${section.name}]`);
        }
        seen.add(key);
        lines.push(`${key}=${value.text}`);
      }
      return lines.join("\n");
    });
  return `${blocks.join("\n\n")}\n`;
}
