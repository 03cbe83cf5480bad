/**
 * A name's text is made in one string when nothing in it needs escaping (dns/reader.ts
 * `#nameText`): it must read exactly as the label-by-label way (`labelToText`) reads it, for
 * every byte, case and compression, and both ways must agree on where the name ends.
 */
import assert from "node:assert/strict";
import { labelToText } from "../../dns/name.ts";
import { WireReader } from "../../dns/reader.ts";

/** A seeded generator, so a failure can be run again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";

/** Labels mostly of plain characters, now and then any byte at all. */
function labels(next: () => number): Uint8Array[] {
  const count = 1 + Math.floor(next() * 6);
  return Array.from({ length: count }, () => {
    const length = 1 + Math.floor(next() * 20);
    return Uint8Array.from(
      { length },
      () =>
        next() < 0.05
          ? Math.floor(next() * 256)
          : PLAIN.charCodeAt(Math.floor(next() * PLAIN.length)),
    );
  });
}

function wire(parts: Uint8Array[]): number[] {
  return [...parts.flatMap((label) => [label.length, ...label]), 0];
}

function expected(parts: Uint8Array[], lower: boolean): string {
  return parts.map((label) => labelToText(label, 0, label.length, lower)).join(".");
}

Deno.test("a name reads the same in one string as label by label, escapes and case included", () => {
  const next = random(20261207);
  for (let round = 0; round < 5000; round++) {
    const parts = labels(next);
    const bytes = Uint8Array.from([...wire(parts), 0xaa]);
    for (const lower of [false, true]) {
      const reader = new WireReader(bytes);
      const text = lower ? reader.canonicalName() : reader.name();
      assert.equal(text, expected(parts, lower), `round ${round}`);
      assert.equal(reader.offset, bytes.length - 1, "the cursor stops after the name");
    }
  }
});

Deno.test("a compressed name reads its pointed-to labels, and the cursor stops after the pointer", () => {
  const next = random(7);
  for (let round = 0; round < 1000; round++) {
    const tail = labels(next);
    const head = labels(next);
    const tailBytes = wire(tail);
    // The tail first, then the head's labels and a pointer back to the tail at offset 0.
    const headBytes = head.flatMap((label) => [label.length, ...label]);
    const bytes = Uint8Array.from([...tailBytes, ...headBytes, 0xc0, 0x00, 0x55]);
    const reader = new WireReader(bytes, tailBytes.length);
    assert.equal(reader.canonicalName(), expected([...head, ...tail], true), `round ${round}`);
    assert.equal(reader.offset, bytes.length - 1);
  }
});

Deno.test("the root and a name after one with escapes read as they are", () => {
  assert.equal(new WireReader(Uint8Array.of(0)).name(), "");
  const escaped = Uint8Array.of(3, 0x61, 0x2e, 0x20, 2, 0x41, 0x42, 0);
  assert.equal(new WireReader(escaped).name(), "a\\.\\032.AB");
  assert.equal(new WireReader(escaped).canonicalName(), "a\\.\\032.ab");
  // A plain name made right after must not see the escaped one's leftovers.
  assert.equal(new WireReader(Uint8Array.of(2, 0x41, 0x42, 0)).canonicalName(), "ab");
});
