/** Checks of compatibility dates, shared by the generated worker and raw workers. */
import type { Diagnostic } from "../diagnostics.js";

type Report = (diagnostic: Omit<Diagnostic, "severity"> & { severity?: Diagnostic["severity"] }) => void;

/**
 * Reports a date that is not a calendar day (workerd accepts `2024-02-31`
 * silently) or that lies after `today`, which workerd rejects at start.
 */
export function checkDateValue(date: string, path: string, today: Date, report: Report): void {
  const parsed = new Date(`${date}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== date) {
    report({
      code: "invalid-date",
      path,
      message: `"${date}" is not a calendar date.`,
      received: date,
      expected: "YYYY-MM-DD",
    });
    return;
  }
  const todayText = today.toISOString().slice(0, 10);
  if (date > todayText) {
    report({
      code: "future-date",
      path,
      message: `The compatibility date "${date}" is in the future; today (UTC) is "${todayText}", and workerd refuses future dates.`,
      received: date,
    });
  }
}
