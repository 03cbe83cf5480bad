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

Deno.test("a deadline follows another: it runs out with it, with its reason, and tells its own", () => {
  const query = new Deadline(60_000);
  const attempt = new Deadline(60_000, query);
  const told: unknown[] = [];
  const socket = { abortWith: (reason: unknown) => told.push(reason) };
  attempt.onAbort(socket);
  assert.equal(attempt.aborted, false);
  query.abortWith("budget spent");
  assert.equal(attempt.aborted, true);
  assert.equal(attempt.reason, "budget spent");
  assert.deepEqual(told, ["budget spent"], "told once");
  query.abortWith("again");
  assert.deepEqual(told, ["budget spent"], "and only once");
  // Its signal, made after the fact, has run out too.
  assert.equal(attempt.signal.aborted, true);
  assert.equal(attempt.signal.reason, "budget spent");
  // A follower that comes late is told at once.
  attempt.onAbort(socket);
  assert.deepEqual(told, ["budget spent", "budget spent"]);
  query.dispose();
  attempt.dispose();
});

Deno.test("a follower let go, or a disposed child, is told nothing", () => {
  const query = new Deadline(60_000);
  const told: string[] = [];
  const follower = (name: string) => ({ abortWith: () => told.push(name) });
  const kept = follower("kept");
  const gone = follower("gone");
  const third = follower("third");
  query.onAbort(gone);
  query.onAbort(kept);
  query.onAbort(third);
  query.offAbort(gone);
  query.offAbort(third);
  const child = new Deadline(60_000, query);
  child.onAbort(follower("child's"));
  child.dispose();
  query.abortWith("over");
  assert.deepEqual(told, ["kept"]);
  assert.equal(child.aborted, false, "a disposed deadline never aborts");
  query.dispose();
});

Deno.test("a deadline's time running out tells what follows it, with a TimeoutError", async () => {
  const deadline = new Deadline(20);
  const reason = await new Promise((resolve) => deadline.onAbort({ abortWith: resolve }));
  assert.equal((reason as DOMException).name, "TimeoutError");
  assert.equal(deadline.aborted, true);
  deadline.dispose();
});
