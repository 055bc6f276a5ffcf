/** The callback that semantic checks report problems through, and wording shared between them. */
import { closestMatch, quote, type Diagnostic } from "../diagnostics.js";

/** Records one problem; the severity is "error" unless given. */
export type Report = (diagnostic: Omit<Diagnostic, "severity"> & { severity?: Diagnostic["severity"] }) => void;

export function reportUnknownName(report: Report, path: string, kind: string, name: string, known: string[]): void {
  const suggestion = closestMatch(name, known);
  report({
    code: `unknown-${kind}`,
    path,
    message: `There is no ${kind} named ${quote(name)}.`,
    received: name,
    expected: known.length === 0 ? `a ${kind} declared in the config` : known.map((item) => quote(item)).join(", "),
    ...(suggestion ? { hint: `Did you mean ${quote(suggestion)}?` } : {}),
  });
}
