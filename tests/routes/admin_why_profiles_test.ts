/**
 * `/admin/why?client=` and the dashboard's "as" field: an answer explained under the profile a
 * profile name, a client's name or a ClientID names, as the stages would answer it (its own
 * entries, the lists it takes, safe search), over the real memory store and directory.
 */
import assert from "node:assert/strict";
import { createApp } from "../../app.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { Directory } from "../../clients/directory.ts";
import { checkPolicy } from "../../clients/spec.ts";
import { explainGiven } from "../../routes/admin_why.ts";
import { localResolver } from "../support/local_resolver.ts";

const TOKEN = "why-profiles-token-0123456789";

async function setup() {
  const blocklist = new MemoryBlocklist();
  await blocklist.load([
    { name: "ads", block: ["ads.example"], allow: [] },
    { name: "social", block: ["social.example"], allow: [] },
  ]);
  const directory = new Directory(
    checkPolicy({
      profiles: { kids: { blocklists: ["social"], block: ["games.example"], safe_search: true } },
      clients: { "Kids' tablet": { profile: "kids", ids: ["kids-tablet"] } },
    }, { blocklists: ["ads", "social"], allowlists: [], udpAvailable: true }),
    false,
  );
  const deps = { blocklist, profileFor: (who: string) => directory.profileFor(who) };
  return { deps, blocklist, directory };
}

Deno.test("a name is explained under a profile, a client's name or a ClientID", async () => {
  const { deps } = await setup();
  for (const who of ["kids", "Kids' tablet", "kids-tablet", "KIDS-TABLET"]) {
    const social = await explainGiven(deps, "www.social.example", "A", who);
    assert.ok("summary" in social);
    assert.equal(social.profile, "kids");
    assert.equal(social.summary, "for profile kids: blocked by social: social.example");
  }
  const plain = await explainGiven(deps, "www.social.example", "A");
  assert.ok("summary" in plain);
  assert.equal(plain.summary, "blocked by social: social.example", "every list without a profile");
  const ads = await explainGiven(deps, "ads.example", "A", "kids");
  assert.ok("summary" in ads);
  assert.equal(ads.summary, "for profile kids: asked upstream", "kids does not take the ads list");
  const own = await explainGiven(deps, "games.example", "A", "kids");
  assert.ok("summary" in own);
  assert.match(own.summary, /^for profile kids: blocked by .*games\.example$/);
  const safe = await explainGiven(deps, "www.google.com", "A", "kids-tablet");
  assert.ok("summary" in safe);
  assert.equal(
    safe.summary,
    "for profile kids: answered by safe search with forcesafesearch.google.com and its records",
  );
  assert.deepEqual(await explainGiven(deps, "x.example", "A", "nobody"), {
    error: 'no profile, client or ClientID "nobody"',
  });
});

Deno.test("GET /admin/why takes client=; an unknown one is 400", async () => {
  const { deps } = await setup();
  const app = createApp({
    resolver: localResolver({}),
    admin: { token: TOKEN, why: deps },
  });
  const get = (query: string) =>
    app.request(`/admin/why?${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const response = await get("name=www.social.example&client=kids-tablet");
  assert.equal(response.status, 200);
  assert.equal((await response.json()).profile, "kids");
  const unknown = await get("name=www.social.example&client=nobody");
  assert.equal(unknown.status, 400);
  assert.match(await unknown.text(), /no profile, client or ClientID "nobody"/);
});
