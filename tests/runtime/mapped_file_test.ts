/**
 * Files mapped read-only and shared over FFI (runtime/mapped_file.ts): the bytes are the file's,
 * the mapping stays while its bytes are reachable and is given back (munmap) once they are
 * collected, and it is said why a file cannot be mapped. The collection runs in a process of its
 * own, started with the engine's gc() exposed; /proc/<pid>/maps shows what it maps.
 */
import assert from "node:assert/strict";
import { mapFile } from "../../runtime/mapped_file.ts";
import { runToEnd } from "../support/tools.ts";

Deno.test("a mapped file reads as its bytes; a missing or empty one says why not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mapped-file-" });
  try {
    await Deno.writeTextFile(`${dir}/list`, "shared bytes");
    const bytes = mapFile(`${dir}/list`);
    assert.equal(typeof bytes, "object", `mapped: ${bytes}`);
    assert.equal(new TextDecoder().decode(bytes as Uint8Array), "shared bytes");
    assert.equal(mapFile(`${dir}/none`), "cannot open it");
    await Deno.writeFile(`${dir}/empty`, new Uint8Array());
    assert.equal(mapFile(`${dir}/empty`), "it is empty");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** What the child prints: the mapped path listed in its maps, and the mappings it holds. */
const CHILD = `
import { mapFile, mappingsHeld } from "${new URL("../../runtime/mapped_file.ts", import.meta.url)}";
const path = Deno.args[0];
const listed = () => Deno.readTextFileSync("/proc/self/maps").includes(path);
const collect = async () => {
  for (let i = 0; i < 5; i++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
let kept = mapFile(path);
await collect();
const held = [listed(), mappingsHeld(), kept.length];
kept = undefined;
await collect();
console.log(JSON.stringify({ held, dropped: [listed(), mappingsHeld()] }));
`;

Deno.test("a mapping stays while its bytes are reachable and is unmapped once they are collected", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mapped-file-" });
  try {
    const path = `${dir}/stored-set`;
    await Deno.writeFile(path, new Uint8Array(1 << 16));
    await Deno.writeTextFile(`${dir}/child.ts`, CHILD);
    const { code, stdout, stderr } = await runToEnd(Deno.execPath(), [
      "run",
      "--allow-all",
      "--v8-flags=--expose-gc",
      `${dir}/child.ts`,
      path,
    ], { signal: AbortSignal.timeout(20_000) });
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), { held: [true, 1, 1 << 16], dropped: [false, 0] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
