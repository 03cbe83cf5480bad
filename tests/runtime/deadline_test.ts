/** The per-query and per-attempt deadline: times out, follows its parent, and can be let go. */
import assert from "node:assert/strict";
import { Deadline } from "../../runtime/deadline.ts";

Deno.test("a deadline aborts with a TimeoutError when its time is up", async () => {
  const deadline = new Deadline(20);
  await new Promise((resolve) => deadline.signal.addEventListener("abort", resolve));
  assert.equal((deadline.signal.reason as DOMException).name, "TimeoutError");
  deadline.dispose();
});

Deno.test("a deadline aborts with its parent, at once if the parent already has", () => {
  const parent = new AbortController();
  const deadline = new Deadline(10_000, parent.signal);
  parent.abort("client gone");
  assert.equal(deadline.signal.aborted, true);
  assert.equal(deadline.signal.reason, "client gone");
  deadline.dispose();
  const late = new Deadline(10_000, parent.signal);
  assert.equal(late.signal.reason, "client gone");
  late.dispose();
});

Deno.test("a disposed deadline never aborts and leaves no timer or listener behind", async () => {
  const parent = new AbortController();
  const deadline = new Deadline(10, parent.signal);
  deadline.dispose();
  await new Promise((resolve) => setTimeout(resolve, 30));
  parent.abort();
  assert.equal(deadline.signal.aborted, false);
});
