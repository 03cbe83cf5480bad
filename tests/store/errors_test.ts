/**
 * bounded(): whatever a client does (hang, throw, throw synchronously, reject with a
 * multi-line message), the caller gets a one-line StoreError naming the operation, in time.
 */
import assert from "node:assert/strict";
import { bounded, StoreError } from "../../store/errors.ts";

function rejectsWith(promise: Promise<unknown>, message: string | RegExp) {
  return assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof StoreError, String(error));
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

Deno.test("bounded() gives up on a call that never settles, and says which and how long", async () => {
  let timedOut = 0;
  const never = new Promise<never>(() => {});
  const started = performance.now();
  await rejectsWith(
    bounded("SMISMEMBER", 30, () => never, () => timedOut++),
    "redis SMISMEMBER timed out after 30 ms",
  );
  assert.ok(performance.now() - started < 200);
  assert.equal(timedOut, 1);
});

Deno.test("bounded() tells the work it was given up on, so what is not sent yet never is", async () => {
  let signal: AbortSignal | undefined;
  await rejectsWith(
    bounded("GET", 30, (given) => {
      signal = given;
      return new Promise<never>(() => {});
    }),
    "redis GET timed out after 30 ms",
  );
  assert.equal(signal?.aborted, true);
  let kept: AbortSignal | undefined;
  await bounded("GET", 30, (given) => {
    kept = given;
    return Promise.resolve(1);
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(kept?.aborted, false, "a call that settled in time is not aborted");
});

Deno.test("bounded() turns a failure, even a synchronous throw, into a one-line StoreError", async () => {
  await rejectsWith(
    bounded("GET", 1000, () => Promise.reject(new Error("READONLY replica\nmore detail"))),
    "redis GET failed: READONLY replica",
  );
  await rejectsWith(
    bounded("SET", 1000, () => {
      throw new TypeError("bad argument");
    }),
    "redis SET failed: bad argument",
  );
  await rejectsWith(
    bounded("PING", 1000, () => Promise.reject("a string")),
    "redis PING failed: a string",
  );
});

Deno.test("bounded() reports a request aborted at the deadline as a timeout", async () => {
  const aborted = Promise.reject(new DOMException("signal timed out", "TimeoutError"));
  await rejectsWith(bounded("GET", 1000, () => aborted), "redis GET timed out after 1000 ms");
});

Deno.test("bounded() passes results through and leaves no timer behind", async () => {
  assert.equal(await bounded("INCR", 1000, () => Promise.resolve(3)), 3);
  const error = new StoreError("redis GET failed: already one");
  await rejectsWith(bounded("GET", 1000, () => Promise.reject(error)), error.message);
});
