/**
 * The blocklist stage under profiles, inside a real Resolver with a small directory: the lists
 * a profile takes, its own entries and their order against the lists', EDE 15 and the log
 * naming the profile, and a profile's block response, never given to another profile.
 */
import assert from "node:assert/strict";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { blocklistStage } from "../../blocklist/stage.ts";
import { decodeMessage, Rcode, RType } from "../../dns/mod.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { guardStage } from "../../pipeline/guard.ts";
import { plainProfile, type Profile } from "../../pipeline/profile.ts";
import { Resolver } from "../../pipeline/resolver.ts";
import { makeQuery } from "../support/dns_query.ts";
import { extendedError } from "../support/ede.ts";
import { tableStage } from "../support/local_resolver.ts";
import { directoryOf } from "../support/profiles.ts";

const TABLE = { "ads.example": ["192.0.2.9"], "games.example": ["192.0.2.10"] };

async function setup(profiles: Record<string, Profile>) {
  const blocklist = new MemoryBlocklist();
  await blocklist.load([
    { name: "ads", block: ["ads.example"], allow: [] },
    { name: "social", block: ["social.example", "games.example"], allow: ["ok.social.example"] },
    { name: "fixes", block: [], allow: ["fixed.ads.example"] },
    { name: "extras", block: [], allow: ["extra.ads.example"] },
  ]);
  await blocklist.edit("add", "block", ["custom.example"]);
  const log = createQueryLog({ toStdout: false, capacity: 100 });
  const stage = blocklistStage({
    blocklist,
    answer: { response: "nxdomain", ttl: 120 },
    failMode: "open",
  });
  const resolver = new Resolver({
    stages: [guardStage, stage, tableStage(TABLE)],
    queryTimeoutMs: 1000,
    log,
    directory: directoryOf(profiles),
  });
  const ask = async (address: string, name: string, type: number = RType.A) => {
    const raw = makeQuery(name, type, { id: 7, edns: {} });
    const { bytes, answer } = await resolver.resolve(raw, { address, door: "udp" });
    const reply = decodeMessage(bytes);
    return {
      reply,
      source: answer.source,
      ede: extendedError(reply)?.text,
      log: log.recent().at(-1)!,
    };
  };
  return { ask };
}

const KIDS: Profile = { ...plainProfile("kids"), blocklists: ["ads", "social"] };
const PARENTS: Profile = { ...plainProfile("parents"), blocklists: ["ads"] };

Deno.test("a profile is blocked by the lists it takes and the custom list, and by no other", async () => {
  const { ask } = await setup({ "192.0.2.1": KIDS, "192.0.2.2": PARENTS });
  assert.equal((await ask("192.0.2.1", "social.example")).source, "blocked");
  assert.equal((await ask("192.0.2.2", "social.example")).source, "upstream");
  assert.equal((await ask("192.0.2.2", "ads.example")).source, "blocked");
  assert.equal((await ask("192.0.2.2", "custom.example")).source, "blocked", "admin edits");
  assert.equal((await ask("192.0.2.9", "social.example")).source, "blocked", "default: all");
});

Deno.test("a profile's allowlists are the only allowlists for it; a block list keeps its own", async () => {
  const strict: Profile = { ...plainProfile("strict"), allowlists: ["fixes"] };
  const { ask } = await setup({ "192.0.2.1": strict });
  assert.equal((await ask("192.0.2.1", "extra.ads.example")).source, "blocked");
  assert.equal((await ask("192.0.2.9", "extra.ads.example")).source, "upstream");
  assert.equal((await ask("192.0.2.1", "fixed.ads.example")).source, "upstream");
  // social's own exception goes with social's block entries.
  assert.equal((await ask("192.0.2.1", "ok.social.example")).source, "upstream");
});

Deno.test("own allow beats own block, which beats every list's allow, which beats list block", async () => {
  const own: Profile = {
    ...plainProfile("own"),
    block: ["games.example", "ok.social.example", "fixed.ads.example"],
    allow: ["ads.example", "www.games.example"],
  };
  const { ask } = await setup({ "192.0.2.1": own });
  // Own allow over a list's block, and over its own block of a parent.
  assert.equal((await ask("192.0.2.1", "ads.example")).source, "upstream");
  assert.equal((await ask("192.0.2.1", "www.games.example")).source, "upstream");
  // Own block over a list's allow entry.
  const overAllow = await ask("192.0.2.1", "ok.social.example");
  assert.equal(overAllow.source, "blocked");
  assert.equal(overAllow.ede, "Blocked (own: profile: ok.social.example)");
  const parentAllowed = await ask("192.0.2.1", "fixed.ads.example");
  assert.equal(parentAllowed.source, "upstream", "its own allow of the parent wins over its block");
  // The custom list's block still applies where the profile says nothing.
  assert.equal((await ask("192.0.2.1", "custom.example")).source, "blocked");
  // Another profile is untouched by these entries.
  assert.equal((await ask("192.0.2.9", "ok.social.example")).source, "upstream");
  assert.equal((await ask("192.0.2.9", "ads.example")).source, "blocked");
});

Deno.test("EDE 15 and the log rule name the profile and the list; default keeps its wording", async () => {
  const { ask } = await setup({ "192.0.2.1": KIDS });
  const kids = await ask("192.0.2.1", "social.example");
  assert.equal(kids.ede, "Blocked (kids: social: social.example)");
  assert.equal(kids.log.rule, "kids: social: social.example");
  assert.equal(kids.log.profile, "kids");
  const plain = await ask("192.0.2.9", "social.example");
  assert.equal(plain.ede, "Blocked (social: social.example)");
  assert.equal(plain.log.rule, "social: social.example");
});

Deno.test("each profile gets its own block response, whichever asks first", async () => {
  const nulls: Profile = { ...KIDS, name: "nulls", blockResponse: "null" };
  const refusing: Profile = { ...KIDS, name: "refusing", blockResponse: "refused" };
  const { ask } = await setup({ "192.0.2.1": nulls, "192.0.2.2": refusing });
  for (let round = 0; round < 2; round++) {
    const asNull = await ask("192.0.2.1", "ads.example");
    assert.equal(asNull.reply.header.rcode, Rcode.NOERROR);
    assert.deepEqual(asNull.reply.answers.map((r) => r.data), [{ address: "0.0.0.0" }]);
    assert.equal(asNull.ede, "Blocked (nulls: ads: ads.example)");
    const refused = await ask("192.0.2.2", "ads.example");
    assert.equal(refused.reply.header.rcode, Rcode.REFUSED);
    assert.equal(refused.ede, "Blocked (refusing: ads: ads.example)");
    const plain = await ask("192.0.2.9", "ads.example");
    assert.equal(plain.reply.header.rcode, Rcode.NXDOMAIN, "BLOCK_RESPONSE for the rest");
    assert.equal(plain.ede, "Blocked (ads: ads.example)");
  }
});

Deno.test("a reloaded profile (a new object) is decided afresh", async () => {
  const before: Profile = { ...plainProfile("kids"), block: ["games.example"] };
  const after: Profile = { ...plainProfile("kids"), block: [], blocklists: ["ads"] };
  const profiles: Record<string, Profile> = { "192.0.2.1": before };
  const { ask } = await setup(profiles);
  assert.equal((await ask("192.0.2.1", "www.games.example")).source, "blocked");
  profiles["192.0.2.1"] = after;
  assert.equal((await ask("192.0.2.1", "www.games.example")).source, "upstream");
  assert.equal((await ask("192.0.2.1", "social.example")).source, "upstream", "ads only now");
});
