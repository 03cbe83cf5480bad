/**
 * Imports run one way: doors → pipeline → stages → stores and codec, with the platform
 * (`runtime/`) and the network rules (`net/`) underneath. Read from `deno info --json main.ts`
 * (static and dynamic imports): no module loads itself through others, and every import from
 * one folder into another (`import type` included) is one of the edges listed below, each with
 * the reason it stays. A root file (main.ts, app.ts, config.ts, deno.json) counts as its own folder.
 */
import assert from "node:assert/strict";
import { mainGraph } from "./support/module_graph.ts";

const ROOT = new URL("../", import.meta.url);

/** Every folder-to-folder edge there may be, and why. main.ts wires everything and is not listed. */
const ALLOWED: Record<string, string> = {
  "app.ts -> routes": "the app is made of the routes",
  "app.ts -> store": "a store error becomes a 503",
  "app.ts -> pipeline": "the routes are given the resolver",
  "app.ts -> observe": "the routes are given the metrics",
  "app.ts -> net": "the app builds the DoH rate limiter and the trusted proxies' set",
  "config.ts -> blocklist":
    "block answers, default lists and the fail mode are the blocklist's words",
  "config.ts -> net": "DNS_ALLOW_CIDRS and TRUSTED_PROXIES are parsed as CIDR sets",
  "config.ts -> upstream": "UPSTREAMS are parsed as upstream URLs",
  "config.ts -> observe": "LOG_CLIENT is one of the query log's privacy modes",
  "routes -> app.ts": "routes/lazy_app.ts loads the app on the first request that needs it",
  "routes -> pipeline": "the DoH and JSON doors run the resolver",
  "routes -> blocklist": "the admin API and dashboard show and edit the blocklists",
  "routes -> cache": "the admin API flushes and explains the cache",
  "routes -> records": "the admin API explains a records-file answer",
  "routes -> store": "dashboard sessions may live in Redis",
  "routes -> observe": "the admin API and dashboard read the query log and statistics",
  "routes -> net": "the HTTP doors admit clients by address and rate",
  "routes -> runtime": "request bodies are read under a coarse timer",
  "routes -> dns": "the doors read and write DNS messages",
  "doors -> config.ts": "the doors read their settings; one that cannot listen is a ConfigError",
  "doors -> pipeline": "the doors run the resolver",
  "doors -> net": "the doors admit clients by address and rate, and frame TCP",
  "doors -> runtime": "the doors use timers, FFI sockets and the platform check",
  "doors -> dns": "the doors read and write DNS messages",
  "pipeline -> blocklist": "the chain builds the stages",
  "pipeline -> cache": "the chain builds the stages",
  "pipeline -> upstream": "the chain builds the stages",
  "pipeline -> observe": "the resolver hands each answer to the query log",
  "pipeline -> runtime": "a query's deadline runs on the coarse timer",
  "pipeline -> dns": "the pipeline reads and writes DNS messages",
  "blocklist -> pipeline": "a stage speaks the pipeline's vocabulary (types, answers, the memo)",
  "cache -> pipeline": "a stage speaks the pipeline's vocabulary (types, answers, the memo)",
  "records -> pipeline": "a stage speaks the pipeline's vocabulary (types, answers, the memo)",
  "upstream -> pipeline": "a stage speaks the pipeline's vocabulary (types, answers, the memo)",
  "blocklist -> cache": "built block answers are keyed with the cache's keys",
  "records -> upstream": "FORWARD lines are upstream URLs",
  "cache -> upstream": "a profile's own upstreams key its answers, spelled as upstream URLs are",
  "blocklist -> config.ts": "the blocklist is built from its settings; the CLI loads them",
  "blocklist -> store": "the Redis blocklist lives in a store",
  "observe -> store": "the log stream may go to Redis; metrics count store calls",
  "blocklist -> runtime": "list syncs are scheduled on light timers",
  "observe -> runtime": "log lines are flushed on light timers",
  "upstream -> runtime": "each upstream try has a deadline",
  "upstream -> net": "DNS over TCP and DoT frame messages",
  "blocklist -> dns": "the codec",
  "blocklist -> net":
    "IP entries, rebinding protection and `$client` rules match addresses to ranges",
  "cache -> dns": "the codec",
  "records -> dns": "the codec",
  "upstream -> dns": "the codec",
  "observe -> dns": "the codec",
  "net -> dns": "addresses are spelled as the codec spells AAAA data",
  "observe -> pipeline":
    "the query log reads the pipeline's answers (import type) and the default profile's name",
  "observe -> blocklist": "metrics read the blocklist's counts (import type)",
  "observe -> cache": "metrics read the cache's counts (import type)",
  "observe -> upstream": "metrics and statistics read the pool's counts (import type)",
  "observe -> doors": "metrics read the doors' connection counts (import type)",
  "runtime -> deno.json": "the oldest Deno is kept in deno.json",
  "routes -> clients": "the admin API shows and edits the profiles",
  "clients -> pipeline": "a directory makes the pipeline's identities and profiles",
  "clients -> dns": "a profile's own entries are names as lists spell them",
  "clients -> net": "clients are known by address ranges",
  "clients -> upstream": "a profile's upstreams are upstream URLs",
  "clients -> runtime": "the profiles file is watched and written as a whole",
  "clients -> store": "with Redis, the profiles live there",
  "records -> runtime": "the records file is watched",
};

/**
 * Edges that must not come back by a new import: the three this layout removed, and routes ->
 * config.ts, which the HTTP surface never needed (main.ts hands the routes their settings).
 */
const REMOVED = [
  "doors -> upstream",
  "records -> blocklist",
  "routes -> doors",
  "routes -> config.ts",
];

/** main.ts's graph of our own modules: what each one loads (`code`), and that plus its type imports (`all`). */
async function graph(): Promise<{ code: Map<string, string[]>; all: Map<string, string[]> }> {
  const modules = await mainGraph();
  const ours = (specifier: string | undefined): specifier is string =>
    specifier !== undefined && specifier.startsWith(ROOT.href);
  const code = new Map<string, string[]>();
  const all = new Map<string, string[]>();
  for (const module of modules) {
    if (!ours(module.specifier)) continue;
    const dependencies = module.dependencies ?? [];
    const loads = dependencies.map((d) => d.code?.specifier).filter(ours).map(path);
    const types = dependencies.map((d) => d.type?.specifier).filter(ours).map(path);
    code.set(path(module.specifier), [...new Set(loads)]);
    all.set(path(module.specifier), [...new Set([...loads, ...types])]);
  }
  return { code, all };
}

function path(specifier: string): string {
  return specifier.slice(ROOT.href.length);
}

/** The folder a repository path belongs to; a root file is its own. */
export function folderOf(file: string): string {
  const slash = file.indexOf("/");
  return slash === -1 ? file : file.slice(0, slash);
}

/** Folder edges and one import that makes each, main.ts left out. */
export function folderEdges(imports: Map<string, string[]>): Map<string, string> {
  const edges = new Map<string, string>();
  for (const [from, targets] of imports) {
    if (from === "main.ts") continue;
    for (const to of targets) {
      const edge = `${folderOf(from)} -> ${folderOf(to)}`;
      if (folderOf(from) !== folderOf(to) && !edges.has(edge)) edges.set(edge, `${from} -> ${to}`);
    }
  }
  return edges;
}

/** One module cycle as a path that ends where it starts, or undefined when there is none. */
export function findCycle(imports: Map<string, string[]>): string[] | undefined {
  const DONE = 2;
  const state = new Map<string, number>();
  const stack: string[] = [];
  const visit = (module: string): string[] | undefined => {
    state.set(module, 1);
    stack.push(module);
    for (const next of imports.get(module) ?? []) {
      if (state.get(next) === 1) return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === DONE) continue;
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(module, DONE);
    return undefined;
  };
  for (const module of imports.keys()) {
    if (state.has(module)) continue;
    const cycle = visit(module);
    if (cycle) return cycle;
  }
  return undefined;
}

Deno.test("findCycle() and folderEdges() see a cycle and a folder edge", () => {
  const imports = new Map([
    ["doors/udp.ts", ["net/cidr.ts", "upstream/create.ts"]],
    ["upstream/create.ts", ["upstream/udp.ts"]],
    ["upstream/udp.ts", ["upstream/create.ts"]],
    ["net/cidr.ts", []],
  ]);
  assert.deepEqual(findCycle(imports), [
    "upstream/create.ts",
    "upstream/udp.ts",
    "upstream/create.ts",
  ]);
  assert.deepEqual([...folderEdges(imports).keys()], ["doors -> net", "doors -> upstream"]);
  imports.set("upstream/udp.ts", []);
  assert.equal(findCycle(imports), undefined);
});

Deno.test("no module of main.ts's graph loads itself through others", async () => {
  // A cycle through `import type` loads nothing and is left to the type checker.
  const imports = (await graph()).code;
  assert.ok(imports.size > 100, `only ${imports.size} modules in main.ts's graph`);
  assert.deepEqual(findCycle(imports), undefined, "an import cycle");
});

Deno.test("every folder-to-folder import is an allowed edge, and removed ones stay removed", async () => {
  const edges = folderEdges((await graph()).all);
  const stray = [...edges].filter(([edge]) => !(edge in ALLOWED)).map(([, example]) => example);
  assert.deepEqual(stray, [], "imports against the direction (add to ALLOWED only with a reason)");
  for (const edge of REMOVED) assert.ok(!(edge in ALLOWED), `${edge} is listed as allowed`);
  const unused = Object.keys(ALLOWED).filter((edge) => !edges.has(edge));
  assert.deepEqual(unused, [], "allowed edges no import makes: drop them from ALLOWED");
});
