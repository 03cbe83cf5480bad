/**
 * The rule book (blocklist/rule_book.ts) is built in steps, so the stores can build ten thousand
 * rules a slice at a time (blocklist/slices.ts) while queries are answered.
 */
import assert from "node:assert/strict";
import { NO_DECISION } from "../../blocklist/decision.ts";
import { loadRuleParser, parseList } from "../../blocklist/parse.ts";
import { RuleBook } from "../../blocklist/rule_book.ts";

// Adblock lines off the fast path need the rule parser, loaded as a sync loads it.
await loadRuleParser();

Deno.test("RuleBook.buildSteps() yields every few hundred rules and builds the same book", () => {
  const lines = Array.from({ length: 2000 }, (_, i) => `/^ad${i}\\.tracker\\./`);
  const { rules } = parseList(lines.join("\n"));
  const steps = RuleBook.buildSteps([{ name: "ads", rules }]);
  let yields = 0;
  let step = steps.next();
  while (!step.done) {
    yields++;
    step = steps.next();
  }
  assert.ok(yields >= 4, `${yields} yields for 2000 rules`);
  const book = step.value;
  assert.equal(book.size, 2000);
  const query = { question: { type: 1 }, client: { address: "" }, identity: {} };
  assert.equal(
    book.decide("ad1999.tracker.example", undefined, query, NO_DECISION).verdict,
    "blocked",
  );
  assert.equal(
    book.decide("ad2000.tracker.example", undefined, query, NO_DECISION).verdict,
    "none",
  );
});
