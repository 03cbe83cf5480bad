/**
 * The codec's, the pipeline's and the timers' functions and classes show how they are called: each has an
 * `@example` that asserts what it does (node:assert/strict), and `deno task test` runs those
 * examples (`--doc`), so one that stops being true fails the suite.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** Exports a newcomer never calls, and why they have no example. */
const WITHOUT_EXAMPLE = new Map([
  ["useRuntimeTimers", "switches every later light timeout for good: main.ts calls it once"],
  ["ResolverContext", "made by the Resolver, once per query"],
  ["detachedContext", "made by the cache stage for a background refresh"],
]);

interface DocSymbol {
  name: string;
  declarations: { kind: string; jsDoc?: { tags?: { kind: string; doc?: string }[] } }[];
}

/** `deno doc --json` of the modules, relative to the repository. */
async function docSymbols(modules: string[]): Promise<DocSymbol[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", ...modules],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.ok(output.success, "deno doc failed");
  const json = JSON.parse(new TextDecoder().decode(output.stdout));
  return Object.values(json.nodes as Record<string, { symbols: DocSymbol[] }>)
    .flatMap((node) => node.symbols);
}

/** The modules of a directory, as paths relative to the repository. */
async function modulesOf(dir: string): Promise<string[]> {
  const modules: string[] = [];
  for await (const entry of Deno.readDir(new URL(`${dir}/`, ROOT))) {
    if (entry.isFile && entry.name.endsWith(".ts")) modules.push(`${dir}/${entry.name}`);
  }
  return modules.sort();
}

/** The timers the pipeline and stages use, moved out of pipeline/ to runtime/ with their examples. */
const TIMERS = ["runtime/light_timer.ts", "runtime/coarse_timer.ts", "runtime/deadline.ts"];

Deno.test("every function and class of dns/, pipeline/ and the timers has an example that asserts", async () => {
  const modules = ["dns/mod.ts", "dns/cookie.ts", ...await modulesOf("pipeline"), ...TIMERS];
  const missing: string[] = [];
  let examples = 0;
  for (const symbol of await docSymbols(modules)) {
    const declaration = symbol.declarations[0];
    if (declaration.kind !== "function" && declaration.kind !== "class") continue;
    if (WITHOUT_EXAMPLE.has(symbol.name)) continue;
    const asserting = (declaration.jsDoc?.tags ?? [])
      .filter((tag) => tag.kind === "example" && /^```ts\n/.test(tag.doc ?? ""))
      .filter((tag) => tag.doc!.includes('from "node:assert/strict"'));
    if (asserting.length === 0) missing.push(symbol.name);
    examples += asserting.length;
  }
  assert.deepEqual(missing, [], `no asserting @example: ${missing.join(", ")}`);
  assert.ok(examples >= 40, `${examples} examples`);
});

Deno.test("deno task test and test:deploy run the examples of dns/, pipeline/ and runtime/", async () => {
  const { tasks } = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  for (const name of ["test", "test:deploy"]) {
    const args = (tasks[name] as string).split(/\s+/);
    assert.ok(args.includes("--doc"), `${name}: ${tasks[name]}`);
    for (const folder of ["dns/", "pipeline/", "runtime/"]) {
      assert.ok(args.includes(folder), `${name} runs no examples of ${folder}: ${tasks[name]}`);
    }
  }
});
