/**
 * The profiles file as the one store without Redis: reloaded on change with the last good
 * profiles kept on a mistake, and written by admin edits with its comments kept.
 */
import assert from "node:assert/strict";
import { FilePolicy } from "../../clients/file_policy.ts";
import { MAX_FILE_BYTES } from "../../clients/profiles_file.ts";
import { type PolicyDoc, PolicyError } from "../../clients/spec.ts";
import { eventually } from "../support/eventually.ts";

const CONTEXT = { blocklists: [], allowlists: [], udpAvailable: true };

async function opened(text: string | undefined) {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/profiles.yaml`;
  if (text !== undefined) await Deno.writeTextFile(path, text);
  const loaded: PolicyDoc[] = [];
  const lines: string[] = [];
  const policy = await FilePolicy.open(path, {
    context: CONTEXT,
    onLoad: (doc) => loaded.push(doc),
    report: (line) => lines.push(line),
    debounceMs: 20,
  });
  return {
    path,
    policy,
    loaded,
    lines,
    [Symbol.asyncDispose]: async () => {
      policy.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("a changed file is reloaded; a mistake keeps the last good profiles and says where", async () => {
  await using file = await opened("profiles:\n  kids: {}\n");
  file.policy.watch();
  assert.deepEqual(file.policy.doc.profiles.map((p) => p.name), ["kids"]);
  await Deno.writeTextFile(file.path, "profiles:\n  kids: {}\n  guest: {}\n");
  await eventually(() => Promise.resolve(assert.equal(file.loaded.length, 1)));
  assert.deepEqual(file.loaded[0].profiles.map((p) => p.name), ["kids", "guest"]);
  assert.match(file.lines.at(-1)!, /^profiles: reloaded .*profiles\.yaml: 2 profiles, 0 clients$/);
  await Deno.writeTextFile(file.path, "profiles:\n  kids:\n    safe_search: yes please\n");
  await eventually(() => Promise.resolve(assert.equal(file.lines.length, 2)));
  assert.match(
    file.lines[1],
    /^profiles: .*profiles\.yaml:3:18: expected true or false; keeping the last good profiles$/,
  );
  assert.equal(file.loaded.length, 1, "nothing loaded");
  assert.deepEqual(file.policy.doc.profiles.map((p) => p.name), ["kids", "guest"]);
});

Deno.test("admin edits are written into the file, comments kept; a wrong edit writes nothing", async () => {
  await using file = await opened("# our household\nprofiles:\n  kids: {} # the children\n");
  await file.policy.edit({
    section: "clients",
    name: "Tablet",
    value: { profile: "kids", ids: ["tablet"] },
  });
  const text = await Deno.readTextFile(file.path);
  assert.match(text, /^# our household\n/);
  assert.match(text, /# the children/);
  assert.match(text, /Tablet:\n\s+profile: kids\n\s+ids:\n\s+- tablet/);
  assert.equal(file.loaded.at(-1)?.clients[0].name, "Tablet");
  await assert.rejects(
    file.policy.edit({ section: "profiles", name: "kids", value: undefined }),
    (error) => error instanceof PolicyError && /no profile named "kids"/.test(error.message),
  );
  assert.equal(await Deno.readTextFile(file.path), text, "the file as it was");
});

Deno.test("a file not there yet is an empty document, made by the first edit", async () => {
  await using file = await opened(undefined);
  assert.deepEqual(file.policy.doc, { profiles: [], clients: [] });
  await file.policy.edit({ section: "profiles", name: "guest", value: { log: "off" } });
  assert.match(await Deno.readTextFile(file.path), /guest:\n\s+log: off/);
});

Deno.test("an admin edit starts from the file as it is now: a hand edit not yet reloaded is kept", async () => {
  await using file = await opened("profiles:\n  kids: {}\n");
  file.policy.watch();
  // Written by hand; the edit comes before the watch has reloaded it.
  await Deno.writeTextFile(file.path, "profiles:\n  kids: {}\n  guest: {} # by hand\n");
  const doc = await file.policy.edit({ section: "profiles", name: "work", value: {} });
  assert.deepEqual(doc.profiles.map((p) => p.name), ["kids", "guest", "work"]);
  const text = await Deno.readTextFile(file.path);
  assert.match(text, /guest: \{\} # by hand/);
  assert.match(text, /work: \{\}/);
  // A hand edit with a mistake is not overwritten by an admin edit: the edit is refused.
  await Deno.writeTextFile(file.path, "profiles:\n  kids:\n    safe_search: maybe\n");
  await assert.rejects(
    file.policy.edit({ section: "profiles", name: "other", value: {} }),
    (error) =>
      error instanceof PolicyError &&
      /profiles\.yaml:3:18: expected true or false; fix the file first/.test(error.message),
  );
  assert.match(await Deno.readTextFile(file.path), /maybe/);
  assert.deepEqual(file.policy.doc.profiles.map((p) => p.name), ["kids", "guest", "work"]);
});

Deno.test("two admin edits at once are both kept", async () => {
  await using file = await opened("profiles:\n  kids: {}\n");
  await Promise.all(
    ["a", "b", "c", "d"].map((name) => file.policy.edit({ section: "profiles", name, value: {} })),
  );
  const reread = await FilePolicy.open(file.path, {
    context: CONTEXT,
    onLoad: () => {},
    report: () => {},
  });
  assert.deepEqual(reread.doc.profiles.map((p) => p.name), ["kids", "a", "b", "c", "d"]);
  reread.close();
});

Deno.test("an edit that would make the file too large to read back is refused, the file unchanged", async () => {
  // A file just under the bound (a long comment): one more profile of many entries would cross it.
  const under = `# ${"x".repeat(MAX_FILE_BYTES - 200_000)}\nprofiles:\n  kids: {}\n`;
  await using file = await opened(under);
  const block = Array.from({ length: 10_000 }, (_, i) => `blocked-name-${i}.example.com`);
  await assert.rejects(
    file.policy.edit({ section: "profiles", name: "big", value: { block } }),
    (error) => error instanceof PolicyError && /larger than 16777216 bytes/.test(error.message),
  );
  assert.equal(await Deno.readTextFile(file.path), under);
  assert.deepEqual(file.policy.doc.profiles.map((p) => p.name), ["kids"]);
});

Deno.test("a file whose sections are there but empty ('profiles:' alone) takes edits", async () => {
  await using file = await opened("# ours\nprofiles:\nclients: ~\n");
  await file.policy.edit({ section: "profiles", name: "kids", value: { safe_search: true } });
  await file.policy.edit({
    section: "clients",
    name: "Tablet",
    value: { profile: "kids", ids: ["t"] },
  });
  await file.policy.edit({ section: "clients", name: "Tablet", value: undefined });
  const reread = await FilePolicy.open(file.path, {
    context: CONTEXT,
    onLoad: () => {},
    report: () => {},
  });
  assert.deepEqual(reread.doc.profiles.map((p) => [p.name, p.safeSearch]), [["kids", true]]);
  assert.deepEqual(reread.doc.clients, []);
  assert.match(await Deno.readTextFile(file.path), /^# ours\n/);
  reread.close();
});
