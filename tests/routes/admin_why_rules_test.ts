/**
 * The "why" box (`/admin/why`, routes/admin_why.ts) on rules with modifiers and regexes: it
 * decides them for the type asked and the client named, and says what kind of rule decided.
 */
import assert from "node:assert/strict";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { loadRuleParser, parseList } from "../../blocklist/parse.ts";
import { plainProfile } from "../../pipeline/profile.ts";
import { explainGiven } from "../../routes/admin_why.ts";

// Adblock lines off the fast path need the rule parser, loaded as a sync loads it.
await loadRuleParser();

async function deps() {
  const parsed = parseList([
    "/^ad[0-9]+\\./",
    "||six.example^$dnstype=AAAA",
    "||kids.example^$client=kids-tablet",
    "||home.example^$dnsrewrite=192.0.2.55",
  ].join("\n"));
  const blocklist = new MemoryBlocklist();
  await blocklist.load([{ name: "ads", block: [], allow: [], rules: parsed.rules }]);
  // A directory where the ClientID kids-tablet has the default profile.
  const profileFor = (who: string) => who === "kids-tablet" ? plainProfile() : undefined;
  return { blocklist, profileFor };
}

const summary = async (name: string, type?: string, who?: string) => {
  const explained = await explainGiven(await deps(), name, type, who);
  return "summary" in explained ? explained.summary : explained.error;
};

Deno.test("the why box names a regex rule's block as a regular expression", async () => {
  assert.equal(
    await summary("ad12.example"),
    "blocked by ads: /^ad[0-9]+\\./ (a regular expression)",
  );
});

Deno.test("the why box decides $dnstype for the type asked and names the modifier", async () => {
  assert.equal(await summary("six.example", "A"), "asked upstream");
  assert.equal(
    await summary("six.example", "AAAA"),
    "blocked by ads: ||six.example^$dnstype=AAAA (a rule with $dnstype)",
  );
});

Deno.test("the why box decides $client for the client named", async () => {
  assert.equal(await summary("kids.example"), "asked upstream");
  assert.equal(
    await summary("kids.example", "A", "kids-tablet"),
    "for profile default: blocked by ads: ||kids.example^$client=kids-tablet (a rule with $client)",
  );
});

Deno.test("the why box says what a $dnsrewrite rule answers", async () => {
  assert.equal(
    await summary("home.example"),
    "rewritten by ads: ||home.example^$dnsrewrite=192.0.2.55 (a rule with $dnsrewrite; it answers 192.0.2.55)",
  );
});
