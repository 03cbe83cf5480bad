/**
 * The compact domain set must answer exactly as a `Set<string>` walked parent by parent would:
 * which entry matches (exact, subdomain, wildcard but not its apex, most specific first), what
 * it holds, edge names (root, 127 labels, escaped dots), no false matches among 200,000
 * strangers, and agreement with a reference on random names.
 */
import { Random } from "../support/random_messages.ts";
import assert from "node:assert/strict";
import { DomainSet } from "../../blocklist/domain_set.ts";
import { NameProbe } from "../../blocklist/name_probe.ts";
import { splitLabels } from "../../dns/name.ts";

/** The simple way: the name, then each parent from the longest, plain before wildcard. */
function referenceMatch(entries: Set<string>, name: string): string | undefined {
  const labels = splitLabels(name);
  for (let depth = labels.length; depth > 0; depth--) {
    const suffix = labels.slice(labels.length - depth).join(".");
    if (entries.has(suffix)) return suffix;
    if (depth < labels.length && entries.has(`*.${suffix}`)) return `*.${suffix}`;
  }
  return undefined;
}

function randomLabel(rnd: Random, length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) text += "abcdefghijklmnopqrstuvwxyz0123456789"[rnd.int(36)];
  return text;
}

Deno.test("matchName() returns the entry for an exact name", () => {
  const set = DomainSet.from(["example.com", "ads.example.net"]);
  assert.equal(set.matchName("example.com"), "example.com");
  assert.equal(set.matchName("ads.example.net"), "ads.example.net");
});

Deno.test("an entry matches every subdomain of itself, at any depth", () => {
  const set = DomainSet.from(["example.com"]);
  assert.equal(set.matchName("www.example.com"), "example.com");
  assert.equal(set.matchName("a.b.c.d.example.com"), "example.com");
});

Deno.test("a name that only shares suffix text, not a label boundary, does not match", () => {
  const set = DomainSet.from(["example.com", "*.ads.net"]);
  assert.equal(set.matchName("notexample.com"), undefined);
  assert.equal(set.matchName("www.notexample.com"), undefined);
  assert.equal(set.matchName("x.bads.net"), undefined);
  assert.equal(set.matchName("com"), undefined);
  assert.equal(set.matchName("example.com.evil"), undefined);
});

Deno.test("a wildcard entry matches every proper subdomain but not the apex", () => {
  const set = DomainSet.from(["*.example.com"]);
  assert.equal(set.matchName("example.com"), undefined);
  assert.equal(set.matchName("www.example.com"), "*.example.com");
  assert.equal(set.matchName("a.b.example.com"), "*.example.com");
  assert.equal(set.matchName("com"), undefined);
});

Deno.test("the most specific entry wins: the name itself, then parents from the longest", () => {
  const set = DomainSet.from([
    "com",
    "example.com",
    "*.example.com",
    "b.example.com",
    "a.b.example.com",
  ]);
  assert.equal(set.matchName("a.b.example.com"), "a.b.example.com");
  assert.equal(set.matchName("x.a.b.example.com"), "a.b.example.com");
  assert.equal(set.matchName("x.b.example.com"), "b.example.com");
  assert.equal(set.matchName("c.example.com"), "example.com");
  assert.equal(set.matchName("example.com"), "example.com");
  assert.equal(set.matchName("other.com"), "com");
});

Deno.test("a wildcard of a nearer parent beats a plain entry further up", () => {
  const set = DomainSet.from(["example.com", "*.ads.example.com"]);
  assert.equal(set.matchName("x.ads.example.com"), "*.ads.example.com");
  assert.equal(set.matchName("ads.example.com"), "example.com");
});

Deno.test("a name written literally as *.x matches the entry *.x as itself", () => {
  const set = DomainSet.from(["*.example.com", "example.com"]);
  assert.equal(set.matchName("*.example.com"), "*.example.com");
});

Deno.test("duplicates are held once and counted once", () => {
  const set = DomainSet.from(["example.com", "example.com", "*.example.com", "*.example.com"]);
  assert.equal(set.size, 2);
  assert.equal(set.matchName("www.example.com"), "example.com");
});

Deno.test("the empty set matches nothing, and DomainSet.EMPTY is one", () => {
  for (const set of [DomainSet.from([]), DomainSet.EMPTY]) {
    assert.equal(set.size, 0);
    assert.equal(set.matchName("example.com"), undefined);
    assert.equal(set.matchName(""), undefined);
  }
});

Deno.test("a set of one entry matches that entry and nothing else", () => {
  const set = DomainSet.from(["example.com"]);
  assert.equal(set.size, 1);
  assert.equal(set.matchName("example.com"), "example.com");
  assert.equal(set.matchName("example.org"), undefined);
});

Deno.test("a query for the root never matches, and an empty entry is ignored", () => {
  const set = DomainSet.from(["", "com"]);
  assert.equal(set.size, 1);
  assert.equal(set.matchName(""), undefined);
  assert.equal(set.matchName("example.org"), undefined);
  assert.equal(set.matchName("example.com"), "com");
});

Deno.test("an escaped dot stays inside its label, as splitLabels() reads it", () => {
  const set = DomainSet.from(["a\\.b.example", "c\\\\.example"]);
  assert.equal(set.matchName("a\\.b.example"), "a\\.b.example");
  assert.equal(set.matchName("x.a\\.b.example"), "a\\.b.example");
  assert.equal(DomainSet.from(["b.example"]).matchName("a\\.b.example"), undefined);
  // `c\\` ends in an escaped backslash, so the dot after it is a real boundary.
  assert.equal(set.matchName("x.c\\\\.example"), "c\\\\.example");
});

Deno.test("names of 127 labels and 253 characters match at every depth", () => {
  const labels = Array.from({ length: 127 }, (_, i) => "abcdefghijklmnopqrstuvwxyz"[i % 26]);
  const name = labels.join(".");
  assert.equal(name.length, 253);
  const deep = labels.slice(90).join(".");
  const set = DomainSet.from([`*.${deep}`, labels.slice(125).join(".")]);
  const probe = new NameProbe();
  probe.load(name);
  assert.equal(probe.labels, 127);
  assert.equal(set.match(probe), `*.${deep}`);
  assert.equal(set.matchName(labels.slice(90).join(".")), labels.slice(125).join("."));
  assert.equal(DomainSet.from([name]).matchName(name), name);
  assert.equal(DomainSet.from([labels.slice(20).join(".")]).matchName(name.slice(42)), undefined);
  assert.equal(DomainSet.from([`x.${name}`]).matchName(name), undefined);
});

Deno.test("one probe serves many sets, and reloading it forgets the previous name", () => {
  const deny = DomainSet.from(["example.com"]);
  const wild = DomainSet.from(["*.example.com"]);
  const allow = DomainSet.from(["ok.example.com", "example.org"]);
  const probe = new NameProbe();
  probe.load("ok.example.com");
  assert.deepEqual([deny.match(probe), wild.match(probe), allow.match(probe)], [
    "example.com",
    "*.example.com",
    "ok.example.com",
  ]);
  probe.load("example.org");
  assert.deepEqual([deny.match(probe), wild.match(probe), allow.match(probe)], [
    undefined,
    undefined,
    "example.org",
  ]);
  probe.load("");
  assert.equal(allow.match(probe), undefined);
});

Deno.test("entries from any iterable build the same set as from an array", () => {
  const names = Array.from({ length: 5000 }, (_, i) => `host${i}.example.com`);
  function* generate() {
    yield* names;
  }
  const fromArray = DomainSet.from(names);
  const fromGenerator = DomainSet.from(generate());
  assert.equal(fromGenerator.size, 5000);
  assert.equal(fromGenerator.byteLength, fromArray.byteLength);
  assert.equal(fromGenerator.matchName("www.host4999.example.com"), "host4999.example.com");
  assert.equal(fromGenerator.matchName("host5000.example.com"), undefined);
});

Deno.test("size counts distinct entries and byteLength stays under 8 bytes an entry", () => {
  const rnd = new Random(7);
  const entries = Array.from({ length: 100_000 }, (_, i) => `${randomLabel(rnd, 8)}${i}.com`);
  const set = DomainSet.from(entries);
  assert.equal(set.size, 100_000);
  assert.ok(set.byteLength <= 8 * set.size, `${set.byteLength} bytes`);
  assert.ok(set.byteLength >= 6 * set.size, `${set.byteLength} bytes`);
  assert.ok(DomainSet.EMPTY.byteLength < 64);
});

Deno.test("200,000 names that are not in a 200,000-entry set never match", () => {
  const rnd = new Random(42);
  const entries: string[] = [];
  for (let i = 0; i < 200_000; i++) {
    const name = `${randomLabel(rnd, 3 + (i % 10))}.${randomLabel(rnd, 5)}.test`;
    entries.push(i % 10 === 0 ? `*.${name}` : name);
  }
  const set = DomainSet.from(entries);
  const probe = new NameProbe();
  let matches = 0;
  for (let i = 0; i < 200_000; i++) {
    probe.load(
      `${randomLabel(rnd, 4)}.${randomLabel(rnd, 3 + (i % 10))}.${randomLabel(rnd, 5)}.invalid`,
    );
    if (set.match(probe) !== undefined) matches++;
  }
  assert.equal(matches, 0);
});

Deno.test("random names match exactly as a Set<string> walked parent by parent", () => {
  const pool = ["a", "b", "ab", "x-y", "0", "*", "a\\.b", "com"];
  for (let seed = 1; seed <= 100; seed++) {
    const rnd = new Random(seed);
    const name = (labels: number) =>
      Array.from({ length: labels }, () => pool[(rnd.next() * pool.length) | 0]).join(".");
    const entries = Array.from({ length: 40 }, () => {
      const entry = name(1 + ((rnd.next() * 3) | 0));
      return rnd.next() < 0.3 ? `*.${entry}` : entry;
    });
    const set = DomainSet.from(entries);
    const reference = new Set(entries);
    assert.equal(set.size, reference.size);
    for (let i = 0; i < 2000; i++) {
      const query = name((rnd.next() * 6) | 0);
      assert.equal(
        set.matchName(query),
        referenceMatch(reference, query),
        `seed ${seed}: ${query}`,
      );
    }
  }
});

Deno.test("the build after the last entry is cut into steps: no step lays out the whole set", () => {
  const count = 200_000;
  let taken = 0;
  const entries = (function* () {
    for (; taken < count; taken++) yield `n${taken}.example`;
  })();
  const steps = DomainSet.buildSteps(entries);
  let after = 0;
  for (let step = steps.next(); !step.done; step = steps.next()) if (taken === count) after++;
  // Laying out 200,000 fingerprints, a few thousand at a time: dozens of steps, not one sort.
  assert.ok(after >= count / 8192, `${after} steps after the last entry`);
});
