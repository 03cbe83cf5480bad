/**
 * Mappings of stored builds live as long as something reads them, and no longer
 * (blocklist/shared_sets.ts, runtime/mapped_file.ts): across 50 switches of a list, the process
 * holds the current build's mapping and those still referenced (a lookup in flight keeps the
 * first, which goes on answering after its file is removed), and its open descriptors do not
 * grow. The collection runs in a process of its own, started with the engine's gc() exposed;
 * /proc/self/fd and /proc/self/maps count what it holds.
 */
import assert from "node:assert/strict";
import { runToEnd } from "../support/tools.ts";

const SWITCHES = 50;

const CHILD = `
import { contentId } from "${new URL("../../blocklist/content_id.ts", import.meta.url)}";
import { MemoryBlocklist } from "${new URL(
  "../../blocklist/memory_blocklist.ts",
  import.meta.url,
)}";
import { SharedSets } from "${new URL("../../blocklist/shared_sets.ts", import.meta.url)}";
import { ListSync } from "${new URL("../../blocklist/sync.ts", import.meta.url)}";
import { mappingsHeld } from "${new URL("../../runtime/mapped_file.ts", import.meta.url)}";
import { openSignalDescriptors } from "${new URL(
  "../support/process_sockets.ts",
  import.meta.url,
)}";
openSignalDescriptors();
const [dir, switches] = Deno.args;
const list = dir + "/ads.txt";
const text = (i) => Array.from({ length: 200 }, (_, j) => "0.0.0.0 n" + i + "-" + j + ".example\\n").join("");
const blocklist = new MemoryBlocklist();
const sync = new ListSync(blocklist, [{ name: "ads", location: list, kind: "block" }], {
  dir, maxAgeMs: 3_600_000, maxBytes: 1 << 20, timeoutMs: 2000, shareSets: { pollMs: 5 },
});
const collect = async () => {
  for (let i = 0; i < 5; i++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
const fds = () => [...Deno.readDirSync("/proc/self/fd")].length;
const maps = () => Deno.readTextFileSync("/proc/self/maps").split("\\n").filter((line) => line.includes(dir + "/sets/")).length;
await Deno.writeTextFile(list, text(0));
await sync.run(true);
// A lookup in flight when the list switches: it holds the first build's sets throughout.
const id = await contentId(new TextEncoder().encode(text(0)));
const inFlight = (await new SharedSets(dir).lookup("ads", "block", id)).found;
await collect();
const before = { fds: fds(), maps: maps(), held: mappingsHeld() };
let wrong = 0;
for (let i = 1; i <= Number(switches); i++) {
  await Deno.writeTextFile(list + ".new", text(i));
  await Deno.rename(list + ".new", list);
  await sync.run(true);
  if (blocklist.decide("www.n" + i + "-7.example").verdict !== "blocked") wrong++;
  if (blocklist.decide("n" + (i - 1) + "-7.example").verdict !== "none") wrong++;
}
await collect();
const after = { fds: fds(), maps: maps(), held: mappingsHeld() };
const files = [...Deno.readDirSync(dir + "/sets")].length;
console.log(JSON.stringify({ before, after, wrong, files, inFlight: inFlight.sets.block.matchName("n0-7.example") }));
`;

Deno.test(`across ${SWITCHES} list switches, old mappings and descriptors are given back; one in use stays`, async () => {
  const dir = await Deno.makeTempDir({ prefix: "shared-sets-lifetime-" });
  try {
    await Deno.writeTextFile(`${dir}/child.js`, CHILD);
    const { code, stdout, stderr } = await runToEnd(Deno.execPath(), [
      "run",
      "--allow-all",
      "--v8-flags=--expose-gc",
      `${dir}/child.js`,
      dir,
      String(SWITCHES),
    ], { signal: AbortSignal.timeout(60_000) });
    assert.equal(code, 0, stderr);
    const seen = JSON.parse(stdout);
    // Before: the store's mapping and the one in flight; after: the same two, however many
    // builds came and went (the first's file is long removed: its mapping still answers).
    assert.deepEqual(seen.before, { fds: seen.before.fds, maps: 2, held: 2 }, stdout);
    assert.deepEqual(seen.after, { ...seen.before }, stdout);
    assert.equal(seen.wrong, 0, stdout);
    assert.equal(seen.files, 2, `one build and its lock: ${stdout}`);
    assert.equal(seen.inFlight, "n0-7.example", stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
