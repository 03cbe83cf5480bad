import assert from "node:assert/strict";
import { loadRuleParser, parseList, parseSteps } from "../../blocklist/parse.ts";
import { runInSlices } from "../../blocklist/slices.ts";

// One process per test file: nothing has loaded the rule parser before these run, in order.

Deno.test("a hosts file parses without the rule parser (agtree, re2js) ever loading", () => {
  const parsed = parseList("0.0.0.0 ads.example\n127.0.0.1 Tracker.Example # mixed case\n");
  assert.deepEqual(parsed.block, ["ads.example", "tracker.example"]);
  assert.throws(() => parseList("@@||ok.example^\n"), /await loadRuleParser\(\) before parseList/);
});

Deno.test("a sync's parse in slices loads the rule parser at its first adblock line", async () => {
  const parsed = await runInSlices(
    parseSteps("ads.example\n@@||ok.ads.example^\n/^ad[0-9]+\\./\n"),
  );
  assert.deepEqual(parsed.allow, ["ok.ads.example"]);
  assert.equal(parsed.rules.length, 1);
  // Loaded now: the parse at once reads such lines too.
  assert.deepEqual(parseList("@@||ok.example^\n").allow, ["ok.example"]);
  await loadRuleParser();
});
