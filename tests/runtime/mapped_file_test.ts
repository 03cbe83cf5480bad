/**
 * Files mapped read-only and shared over FFI (runtime/mapped_file.ts): the bytes are the file's,
 * the mapping stays while its bytes are reachable and is given back (munmap) once they are
 * collected, and it is said why a file cannot be mapped: only a regular file that nobody but
 * this process's user could cut in place (which would fault every reader) is. The collection
 * runs in a process of its own, started with the engine's gc() exposed; /proc/<pid>/maps shows
 * what it maps.
 */
import assert from "node:assert/strict";
import { mapFile, NO_SUCH_FILE } from "../../runtime/mapped_file.ts";
import { run, runToEnd } from "../support/tools.ts";

Deno.test("a mapped file reads as its bytes; a missing or empty one says why not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mapped-file-" });
  try {
    await Deno.writeTextFile(`${dir}/list`, "shared bytes", { mode: 0o444 });
    const bytes = mapFile(`${dir}/list`);
    assert.equal(typeof bytes, "object", `mapped: ${bytes}`);
    assert.equal(new TextDecoder().decode(bytes as Uint8Array), "shared bytes");
    assert.equal(mapFile(`${dir}/none`), NO_SUCH_FILE);
    await Deno.writeFile(`${dir}/empty`, new Uint8Array(), { mode: 0o444 });
    assert.equal(mapFile(`${dir}/empty`), "it is empty");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("only a regular file of this user that nobody may write is mapped; anything else says why", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mapped-file-" });
  try {
    const big = `${dir}/big`;
    await Deno.writeFile(big, new Uint8Array(1 << 20), { mode: 0o444 });
    await Deno.symlink(big, `${dir}/to-big`);
    await Deno.symlink("/dev/zero", `${dir}/to-zero`);
    await Deno.mkdir(`${dir}/directory`);
    // A pipe: open(2) without O_NONBLOCK would stall the whole process until a writer came.
    await run("mkfifo", [`${dir}/pipe`]);
    await Deno.writeTextFile(`${dir}/writable`, "bytes", { mode: 0o644 });
    const why = (name: string) => mapFile(`${dir}/${name}`);
    assert.equal(typeof why("big"), "object");
    assert.equal(why("to-big"), "a symbolic link");
    assert.equal(why("to-zero"), "a symbolic link");
    assert.equal(why("directory"), "not a regular file");
    assert.equal(why("pipe"), "not a regular file");
    assert.equal(why("writable"), "writable (a stored file is read-only)");
    if (Deno.uid() === 0) {
      await Deno.writeTextFile(`${dir}/theirs`, "bytes", { mode: 0o444 });
      await Deno.chown(`${dir}/theirs`, 65534, 65534);
      assert.equal(why("theirs"), "owned by another user");
    }
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
    await Deno.writeFile(path, new Uint8Array(1 << 16), { mode: 0o444 });
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
