import assert from "node:assert/strict";
import { clientKey, type RateDecision, RateLimiter } from "../../net/rate_limit.ts";

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const many = (limiter: RateLimiter, address: string, count: number): RateDecision[] =>
  Array.from({ length: count }, () => limiter.check(address));

Deno.test("RateLimiter answers a burst, then sends as many TC answers, then drops", () => {
  const time = clock();
  const limiter = new RateLimiter({ rate: 10, burst: 5, now: time.now });
  assert.deepEqual(many(limiter, "192.0.2.1", 12), [
    ...Array(5).fill("answer"),
    ...Array(5).fill("truncate"),
    "drop",
    "drop",
  ]);
});

Deno.test("RateLimiter refills at its rate: one query per 100 ms at 10 per second", () => {
  const time = clock();
  const limiter = new RateLimiter({ rate: 10, burst: 2, now: time.now });
  assert.deepEqual(many(limiter, "192.0.2.1", 2), ["answer", "answer"]);
  time.advance(99);
  assert.equal(limiter.check("192.0.2.1"), "truncate");
  time.advance(101); // 0.99 - 1 + 1.01 = 1.0 token
  assert.equal(limiter.check("192.0.2.1"), "answer");
});

Deno.test("RateLimiter releases a flooding client once its bucket has refilled", () => {
  const time = clock();
  const limiter = new RateLimiter({ rate: 10, burst: 5, now: time.now });
  many(limiter, "192.0.2.1", 50);
  assert.equal(limiter.check("192.0.2.1"), "drop");
  // Dropped queries cost nothing: from -5, six tokens (600 ms) bring it back to an answer.
  time.advance(500);
  assert.equal(limiter.check("192.0.2.1"), "truncate");
  time.advance(700);
  assert.equal(limiter.check("192.0.2.1"), "answer");
  time.advance(10_000);
  assert.deepEqual(many(limiter, "192.0.2.1", 6), [...Array(5).fill("answer"), "truncate"]);
});

Deno.test("RateLimiter.wait() serves a burst, then says how long until the next token", () => {
  const time = clock();
  const limiter = new RateLimiter({ rate: 4, burst: 3, now: time.now });
  assert.deepEqual([1, 2, 3].map(() => limiter.wait("192.0.2.1")), [0, 0, 0]);
  assert.equal(limiter.wait("192.0.2.1"), 250);
  time.advance(100);
  // Refusals are not counted: the wait only shrinks as the bucket refills.
  assert.equal(limiter.wait("192.0.2.1"), 150);
  assert.equal(limiter.wait("192.0.2.1"), 150);
  time.advance(150);
  assert.equal(limiter.wait("192.0.2.1"), 0);
  assert.equal(limiter.wait("192.0.2.2"), 0, "other clients have their own bucket");
});

Deno.test("RateLimiter keeps clients apart, and an IPv6 /64 counts as one client", () => {
  const time = clock();
  const limiter = new RateLimiter({ rate: 1, burst: 1, now: time.now });
  assert.equal(limiter.check("192.0.2.1"), "answer");
  assert.equal(limiter.check("192.0.2.2"), "answer");
  assert.equal(limiter.check("2001:db8:1:2::1"), "answer");
  assert.equal(limiter.check("2001:db8:1:2:ffff::9"), "truncate");
  assert.equal(limiter.check("2001:db8:1:3::1"), "answer");
  assert.equal(limiter.check("::ffff:192.0.2.1"), "truncate", "the same client as 192.0.2.1");
});

Deno.test("RateLimiter holds at most maxClients, dropping refilled clients before busy ones", () => {
  const time = clock();
  const limiter = new RateLimiter({ rate: 1, burst: 3, maxClients: 16, now: time.now });
  for (let i = 0; i < 1000; i++) {
    time.advance(1000);
    // A flooder stays in debt; one-shot clients have refilled by the next second.
    many(limiter, "198.51.100.1", 5);
    limiter.check(`10.0.${i >> 8}.${i & 0xff}`);
    assert.ok(limiter.size <= 16, `${limiter.size} clients tracked`);
  }
  assert.equal(limiter.check("198.51.100.1"), "drop", "the flooder is still remembered");
});

Deno.test("RateLimiter stays bounded when every client it holds is busy", () => {
  const time = clock();
  const limiter = new RateLimiter({ rate: 1, burst: 3, maxClients: 16, now: time.now });
  for (let i = 0; i < 1000; i++) {
    limiter.check(`10.0.${i >> 8}.${i & 0xff}`);
    assert.ok(limiter.size <= 16, `${limiter.size} clients tracked`);
  }
});

Deno.test("clientKey() is the address for IPv4 and the /64 for IPv6", () => {
  assert.equal(clientKey("192.0.2.1"), "192.0.2.1");
  assert.equal(clientKey("::ffff:192.0.2.1"), "192.0.2.1");
  assert.equal(clientKey("2001:db8:1:2:3:4:5:6"), "20010db800010002/64");
});
