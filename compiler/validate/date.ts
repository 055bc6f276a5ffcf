/**
 * Compatibility dates, of the generated worker, user workers and raw workers,
 * checked as workerd checks them at start, and stricter. workerd's config
 * parser accepts an impossible date such as 2024-02-31. At start, workerd
 * rejects a date newer than the binary supports ("This Worker requires
 * compatibility date …, but the newest date supported by this server binary
 * is …") and a date in the future ("Can't set compatibility date in the
 * future").
 */
import { quote } from "../diagnostics.js";
import type { Report } from "./report.js";

/**
 * The workerd release the generated files are tested with (the `workerd`
 * package pinned in package.json) and the newest compatibility date it
 * accepts. A test starts that binary with a later date and compares this
 * value with the one workerd names in its error message.
 */
export const bundledWorkerd = {
  packageVersion: "1.20261123.1",
  newestCompatibilityDate: "2026-11-30",
} as const;

/**
 * Reports a date that is not a calendar day, that is newer than the bundled
 * workerd supports, or that lies after `today`.
 */
export function checkDateValue(date: string, path: string, today: Date, report: Report): void {
  const parsed = new Date(`${date}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== date) {
    report({
      code: "invalid-date",
      path,
      message: `${quote(date)} is not a calendar date.`,
      received: date,
      expected: "a calendar date as YYYY-MM-DD",
    });
    return;
  }

  const newest = bundledWorkerd.newestCompatibilityDate;
  if (date > newest) {
    report({
      code: "unsupported-date",
      path,
      message: `The compatibility date ${quote(date)} is newer than workerd ${bundledWorkerd.packageVersion} supports; its newest date is ${quote(newest)}, and workerd does not start with a newer one.`,
      received: date,
      expected: `a date up to ${newest}`,
      hint: `Use ${quote(newest)} or an earlier date.`,
    });
    return;
  }

  const todayText = today.toISOString().slice(0, 10);
  if (date > todayText) {
    report({
      code: "future-date",
      path,
      message: `The compatibility date ${quote(date)} is in the future; today (UTC) is ${quote(todayText)}, and workerd rejects future dates.`,
      received: date,
      expected: `a date up to ${todayText}`,
      hint: `Use ${quote(todayText)} or an earlier date.`,
    });
  }
}
