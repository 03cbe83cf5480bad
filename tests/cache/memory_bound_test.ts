/**
 * CACHE_MAX_BYTES bounds the memory the answer cache really takes: what it counts per entry is
 * within 15 % of what an entry costs in V8's heap and the buffers outside it, as measured by
 * `deno task bench:cache-memory` (run here on fewer answers, in a process of its own, since
 * measuring needs `--expose-gc`).
 */
import assert from "node:assert/strict";

Deno.test("the cache counts what its entries really take, for plain and CNAME answers", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--v8-flags=--expose-gc", "--allow-env", "bench/cache_memory.ts"],
    env: { CACHE_MEMORY_COUNT: "40000" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.equal(code, 0, out + new TextDecoder().decode(stderr));
  assert.equal(out.match(/\(PASS within/g)?.length, 2, out);
});
