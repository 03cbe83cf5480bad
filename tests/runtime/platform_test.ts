/**
 * The oldest Deno the gateway supports: read from deno.json, compared by major, minor and
 * patch, and stated alike in the README.
 */
import assert from "node:assert/strict";
import { isAtLeast, OLDEST_DENO, runtimeTooOld } from "../../runtime/platform.ts";

Deno.test("isAtLeast compares major, minor and patch as numbers", () => {
  assert.equal(isAtLeast("2.5.7", "2.5.7"), true);
  assert.equal(isAtLeast("2.5.6", "2.5.7"), false);
  assert.equal(isAtLeast("2.10.0", "2.9.6"), true, "10 after 9, not before it as text");
  assert.equal(isAtLeast("2.9.6", "2.10.0"), false);
  assert.equal(isAtLeast("3.0.0", "2.99.99"), true);
  assert.equal(isAtLeast("1.46.3", "2.5.7"), false);
  assert.equal(isAtLeast("2.5.7-rc.1", "2.5.7"), true, "a suffix does not count");
  assert.equal(isAtLeast("2.5.7+a1b2c3", "2.5.7"), true);
  assert.equal(isAtLeast("unknown", "2.5.7"), true, "what cannot be read is not refused");
});

Deno.test("runtimeTooOld refuses, in one line, only what is older than deno.json's oldestDeno", async () => {
  const project = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assert.equal(OLDEST_DENO, project.oldestDeno);
  assert.equal(runtimeTooOld(OLDEST_DENO), undefined);
  assert.equal(runtimeTooOld(Deno.version.deno), undefined, "the Deno running this test");
  assert.equal(
    runtimeTooOld("0.1.0"),
    `Deno 0.1.0 is too old: the gateway needs Deno ${OLDEST_DENO} or newer (deno.json "oldestDeno")`,
  );
});

Deno.test("the README states the same oldest Deno", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  assert.match(readme, new RegExp(`Deno ${OLDEST_DENO.replaceAll(".", "\\.")} or newer`));
});
