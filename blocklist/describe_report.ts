/**
 * A sync report as lines for people. Its own module: the server prints reports from the
 * start, while the sync itself (sync.ts) loads only when lists first load (lazy_sync.ts).
 */
import type { SyncReport } from "./sync.ts";

/** One line per list for logs and the CLI: name, outcome, sizes, invalid lines, error. */
export function describeReport(report: SyncReport): string[] {
  if (report.skipped) return [`blocklist sync skipped: ${report.skipped}`];
  return report.lists.map((list) => {
    const sizes = list.blockEntries === undefined
      ? "nothing loaded"
      : `${list.blockEntries} block, ${list.allowEntries} allow entries` +
        (list.ipEntries ? `, ${list.ipEntries} IP entries` : "");
    let line = `${list.kind}list ${list.name}: ${list.outcome}, ${sizes}` +
      (list.ruleEntries ? `, ${list.ruleEntries} rules` : "") + `, ${list.ms} ms`;
    const skipped = Object.entries(list.skippedModifiers ?? {});
    if (skipped.length > 0) {
      line += `; skipped for browser-only modifiers: ` +
        skipped.map(([modifier, lines]) => `$${modifier} ${lines}`).join(", ");
    }
    if (list.invalid && list.invalid.count > 0) {
      const example = list.invalid.examples[0];
      line += `; ${list.invalid.count} lines not understood` +
        (example ? ` (line ${example.line}: ${example.reason}: ${example.text})` : "");
    }
    if (list.error) line += `; ${list.error}`;
    if (list.store) {
      line += `; store ${list.store.how}${list.store.why ? `, ${list.store.why}` : ""}`;
    }
    return line;
  });
}
