/** Transaction IDs for upstream queries: unpredictable, spread over all 16 bits, never stuck. */
import assert from "node:assert/strict";
import { randomId } from "../../upstream/match.ts";

Deno.test("random IDs cover the 16-bit range and keep changing across refills", () => {
  const seen = new Set<number>();
  let repeatsInARow = 0;
  let previous = -1;
  for (let i = 0; i < 20_000; i++) {
    const id = randomId();
    assert.ok(Number.isInteger(id) && id >= 0 && id <= 0xffff, `id ${id}`);
    if (id === previous) repeatsInARow++;
    previous = id;
    seen.add(id);
  }
  // 20,000 draws from 65,536 values: ~17,200 distinct expected; far fewer means a stuck buffer.
  assert.ok(seen.size > 15_000, `${seen.size} distinct IDs in 20,000`);
  assert.ok(repeatsInARow < 10, `${repeatsInARow} immediate repeats`);
  assert.ok([...seen].some((id) => id > 0xf000) && [...seen].some((id) => id < 0x1000));
});
