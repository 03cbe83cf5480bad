import assert from "node:assert/strict";
import { Directory } from "../../clients/directory.ts";
import { LiveDirectory } from "../../clients/live_directory.ts";
import { checkPolicy } from "../../clients/spec.ts";

const CONTEXT = { blocklists: [], allowlists: [], udpAvailable: true };
const DOC = checkPolicy({
  profiles: { kids: { safe_search: true }, family: {}, default: { log: "off" } },
  clients: {
    "Kids' tablet": { profile: "kids", ids: ["kids-tablet"], addresses: ["192.168.1.23"] },
    "Home": { profile: "family", addresses: ["192.168.1.0/24"] },
  },
}, CONTEXT);

Deno.test("a client is known by its ClientID, else by its address, else gets default", () => {
  const directory = new Directory(DOC, false);
  const tablet = directory.identify("kids-tablet", "203.0.113.9");
  assert.deepEqual([tablet?.profile.name, tablet?.name, tablet?.clientId], [
    "kids",
    "Kids' tablet",
    "kids-tablet",
  ]);
  assert.equal(directory.identify(undefined, "192.168.1.23")?.name, "Kids' tablet");
  assert.equal(directory.identify(undefined, "192.168.1.50")?.profile.name, "family");
  const stranger = directory.identify(undefined, "203.0.113.9");
  assert.equal(stranger?.profile.name, "default");
  assert.equal(stranger?.profile.log, "off", "the document's own default profile");
  assert.equal(stranger?.name, undefined);
  // A ClientID it does not know is a stranger, even from a known address.
  assert.equal(directory.identify("nobody", "192.168.1.23")?.profile.name, "default");
  assert.equal(
    directory.identify("kids-tablet", "1.2.3.4"),
    directory.identify("kids-tablet", "5.6.7.8"),
    "identities are made once",
  );
});

Deno.test("without a default profile in the document, strangers get a plain one", () => {
  const directory = new Directory(checkPolicy({ profiles: { kids: {} } }, CONTEXT), false);
  const stranger = directory.identify(undefined, "192.0.2.1");
  assert.deepEqual(stranger?.profile, { name: "default", block: [], allow: [], safeSearch: false });
});

Deno.test("restricted (CLIENTS_ONLY): only known ClientIDs and mapped addresses are identified", () => {
  const directory = new Directory(DOC, true);
  assert.equal(directory.restricted, true);
  assert.equal(directory.identify("kids-tablet", "203.0.113.9")?.profile.name, "kids");
  assert.equal(directory.identify("nobody", "192.168.1.23"), undefined, "unknown ClientID");
  assert.equal(directory.identify(undefined, "203.0.113.9"), undefined, "unmapped address");
  assert.equal(directory.identify(undefined, "192.168.1.7")?.profile.name, "family");
});

Deno.test("a live directory is replaced whole and its version moves", () => {
  const live = new LiveDirectory(DOC, false);
  assert.equal(live.version, 0);
  assert.equal(live.identify("kids-tablet", "")?.profile.name, "kids");
  live.replace(checkPolicy({ profiles: { kids: {} } }, CONTEXT));
  assert.equal(live.version, 1);
  assert.equal(live.identify("kids-tablet", "")?.profile.name, "default");
});

Deno.test("10,000 clients: each known by its ClientID and its address", () => {
  const clients: Record<string, unknown> = {};
  for (let i = 0; i < 10_000; i++) {
    clients[`device ${i}`] = {
      profile: `p${i % 100}`,
      ids: [`device-${i}`],
      addresses: [`10.${i >> 8}.${i & 255}.1`],
    };
  }
  const profiles = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`p${i}`, {}]));
  const directory = new Directory(checkPolicy({ profiles, clients }, CONTEXT), true);
  for (const i of [0, 1, 4999, 9999]) {
    assert.equal(directory.identify(`device-${i}`, "")?.profile.name, `p${i % 100}`);
    assert.equal(directory.identify(undefined, `10.${i >> 8}.${i & 255}.1`)?.name, `device ${i}`);
  }
  assert.equal(directory.identify(undefined, "10.0.0.2"), undefined);
});
