/**
 * What `deno task start` loads before it can answer: main.ts's static module graph. Every
 * module there is paid on each cold start (~0.1 ms each; Hono and the routes were ~6 ms), so
 * npm packages and Node's modules stay out of it: the Hono app, Redis clients and node:crypto
 * are imported when first needed. The README's Performance section states the count.
 */
import assert from "node:assert/strict";
import { mainGraph } from "./support/module_graph.ts";

const ROOT = new URL("../", import.meta.url);

Deno.test("main.ts loads no npm package and no Node module before its first answer", async () => {
  const imports = new Map((await mainGraph()).map((m) => [
    m.specifier,
    (m.dependencies ?? []).filter((d) => !d.isDynamic && d.code?.specifier)
      .map((d) => d.code!.specifier!),
  ]));
  const loaded = new Set<string>();
  const pending = [new URL("main.ts", ROOT).href];
  while (pending.length > 0) {
    const specifier = pending.pop()!;
    if (loaded.has(specifier)) continue;
    loaded.add(specifier);
    pending.push(...imports.get(specifier) ?? []);
  }
  const foreign = [...loaded].filter((s) => !s.startsWith("file:"));
  // Fetching and parsing lists (sync.ts and below) load with the first list, 500 ms after
  // start; records, with a records file; TCP, DoT and DoH upstreams, on first use.
  const deferred = [
    "blocklist/sync.ts",
    "blocklist/parse.ts",
    "blocklist/fetch_list.ts",
    "blocklist/shared_sets.ts",
    "runtime/mapped_file.ts",
    "runtime/file_lock.ts",
    "records/store.ts",
    "upstream/stream.ts",
    "upstream/doh.ts",
  ]
    .filter((path) => loaded.has(new URL(path, ROOT).href));
  assert.deepEqual(deferred, [], "loaded at startup, though needed only later");
  assert.deepEqual(foreign, [], "loaded at startup: import these where they are first needed");
  assert.ok(loaded.size > 50 && loaded.size < 100, `${loaded.size} modules at startup`);
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const stated = /only what answering needs, (\d+) modules/.exec(readme)?.[1];
  assert.equal(Number(stated), loaded.size, "the count README's Performance section states");
});
