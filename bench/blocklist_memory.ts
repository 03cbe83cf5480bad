/**
 * Memory and speed of the blocklist's domain set against the plain `Set<string>` it replaces
 * (`deno run --allow-all --v8-flags=--expose-gc bench/blocklist_memory.ts`): 1,000,000 synthetic
 * domains, bytes per domain by `byteLength` and by heap growth, and nanoseconds per lookup of
 * 5-label names (half subdomains of an entry, half misses). Checks the targets: ≤ 8 bytes per
 * domain and ≤ 1 µs per lookup. Also the whole load of a 1M-line hosts file (parse of its
 * bytes and build) as the gateway does it (in slices, so queries go on: the longest pause of the event loop is
 * measured), and a decision through the memory store. `deno task bench:blocklist`.
 */
import { Random } from "../tests/support/random_messages.ts";
import { DomainSet, EntryFingerprints } from "../blocklist/domain_set.ts";
import { MemoryBlocklist } from "../blocklist/memory_blocklist.ts";
import { NameProbe } from "../blocklist/name_probe.ts";
import { lineCountSteps, parseBytesSteps } from "../blocklist/parse.ts";
import { runInSlices } from "../blocklist/slices.ts";

const DOMAINS = 1_000_000;
const LOOKUPS = 1_000_000;
const ROUNDS = 3;
const MAX_BYTES_PER_DOMAIN = 8;
const MAX_NS_PER_LOOKUP = 1000;

const TLDS = ["com", "com", "com", "net", "org", "io", "de", "ru", "info", "xyz", "co", "app"];
const LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789";

/** The same domains on every run. */
const rnd = new Random(20261201);
const pick = (max: number) => rnd.int(max);

function label(min: number, max: number): string {
  const length = min + pick(max - min + 1);
  let text = "";
  for (let i = 0; i < length; i++) {
    const dash = i > 0 && i < length - 1 && rnd.next() < 0.05;
    text += dash ? "-" : LETTERS[pick(LETTERS.length)];
  }
  return text;
}

/** 2–4 labels (60/30/10 %), 3–14 characters each before a common TLD. */
function domain(): string {
  const roll = rnd.next();
  const labels = roll < 0.6 ? 2 : roll < 0.9 ? 3 : 4;
  let name = TLDS[pick(TLDS.length)];
  for (let i = 1; i < labels; i++) name = `${label(3, 14)}.${name}`;
  return name;
}

function labelCount(name: string): number {
  let count = 1;
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) === 0x2e) count++;
  return count;
}

/** `name` under as many short random labels as make 5 labels. */
function fiveLabels(name: string): string {
  for (let labels = labelCount(name); labels < 5; labels++) name = `${label(1, 8)}.${name}`;
  return name;
}

function parents(name: string): string[] {
  const out = [name];
  for (let i = name.indexOf("."); i >= 0; i = name.indexOf(".", i + 1)) out.push(name.slice(i + 1));
  return out;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Live bytes; two collections, since array buffers freed by the first are swept lazily. */
function memory(): number {
  gc();
  gc();
  const usage = Deno.memoryUsage();
  return usage.heapUsed + usage.external;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1];
}

function distinctDomains(): string[] {
  const seen = new Set<string>();
  while (seen.size < DOMAINS) seen.add(domain());
  return [...seen];
}

/** `text` as one flat string, the way a name decoded from a DNS message arrives. */
function flat(text: string): string {
  return decoder.decode(encoder.encode(text));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** 5-label names: even indexes are a subdomain of an entry, odd ones have no listed parent. */
function queriesFor(domains: string[], listed: Set<string>): string[] {
  const queries: string[] = [];
  while (queries.length < LOOKUPS) {
    queries.push(flat(fiveLabels(domains[pick(domains.length)])));
    let miss = fiveLabels(domain());
    while (parents(miss).some((parent) => listed.has(parent))) miss = fiveLabels(domain());
    queries.push(flat(miss));
  }
  return queries;
}

interface Measured<T> {
  value: T;
  buildMs: number;
  heapBytes: number;
}

/** Builds once with the heap measured around it (the input array stays held throughout). */
function measureBuild<T>(build: () => T): Measured<T> {
  const before = memory();
  const start = performance.now();
  const value = build();
  const buildMs = performance.now() - start;
  return { value, buildMs, heapBytes: memory() - before };
}

function bestBuildMs(build: () => unknown, first: number): number {
  const times = [first];
  for (let i = 1; i < ROUNDS; i++) {
    const start = performance.now();
    build();
    times.push(performance.now() - start);
  }
  return Math.min(...times);
}

/** Median ns per call of `lookup` over all queries, after a warm-up pass; and the hits. */
function timeLookups(queries: string[], lookup: (name: string) => boolean) {
  let hits = 0;
  for (let i = 0; i < queries.length; i += 10) lookup(queries[i]);
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    hits = 0;
    const start = performance.now();
    for (let i = 0; i < queries.length; i++) if (lookup(queries[i])) hits++;
    rounds.push(((performance.now() - start) * 1e6) / queries.length);
  }
  return { ns: median(rounds), hits };
}

function setHasParent(set: Set<string>, name: string): boolean {
  if (set.has(name)) return true;
  for (let i = name.indexOf("."); i >= 0; i = name.indexOf(".", i + 1)) {
    if (set.has(name.slice(i + 1))) return true;
  }
  return false;
}

function fixed(value: number, digits = 1): string {
  return value.toFixed(digits);
}

function verdict(ok: boolean): string {
  return ok ? "PASS" : "FAIL";
}

/**
 * What a user waits for: a 1M-line hosts file, as downloaded, to a loaded memory store
 * (parse, then build, in slices as the gateway's sync does), and a decision through the store
 * (custom list + this one). A timer ticking all along measures the longest time a query
 * arriving meanwhile would have waited for the event loop.
 */
async function loadFromText(domains: string[], queries: string[]) {
  const bytes = encoder.encode(domains.map((name) => `0.0.0.0 ${name}`).join("\n"));
  const pauses = watchPauses();
  const started = performance.now();
  // As the sync does it: names hashed from the bytes into fingerprints the store takes.
  const fingerprints = new EntryFingerprints(await runInSlices(lineCountSteps(bytes)));
  const parsed = await runInSlices(parseBytesSteps(bytes, fingerprints));
  const parsedAt = performance.now();
  const store = new MemoryBlocklist();
  await store.load([{
    name: "synthetic",
    block: parsed.block,
    allow: parsed.allow,
    fingerprints: { kind: "block", entries: fingerprints },
  }]);
  const loadedAt = performance.now();
  const longestPauseMs = pauses.stop();
  const decide = timeLookups(queries, (name) => store.decide(name).verdict === "blocked");
  return {
    parseMs: parsedAt - started,
    buildMs: loadedAt - parsedAt,
    totalMs: loadedAt - started,
    longestPauseMs,
    decideNs: decide.ns,
    hits: decide.hits,
  };
}

/** The longest gap between turns of a timer that asks for one as often as it can. */
function watchPauses(): { stop(): number } {
  let last = performance.now();
  let longest = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    timer = setTimeout(tick, 0);
  };
  timer = setTimeout(tick, 0);
  return {
    stop() {
      clearTimeout(timer);
      return Math.max(longest, performance.now() - last);
    },
  };
}

async function main(): Promise<void> {
  if (!(globalThis as { gc?: unknown }).gc) {
    console.log("heap figures need --v8-flags=--expose-gc; they are rough without it");
  }
  const empty = memory();
  const domains = distinctDomains();
  const inputPerDomain = (memory() - empty) / domains.length;

  const compact = measureBuild(() => DomainSet.from(domains));
  const compactBuildMs = bestBuildMs(() => DomainSet.from(domains), compact.buildMs);
  const reference = measureBuild(() => new Set(domains));
  const referenceBuildMs = bestBuildMs(() => new Set(domains), reference.buildMs);

  const queries = queriesFor(domains, reference.value);
  const set = compact.value;
  const probe = new NameProbe();
  const hashOnly = timeLookups(queries, (name) => {
    probe.load(name);
    return probe.labels === 0;
  });
  const full = timeLookups(queries, (name) => {
    probe.load(name);
    return set.match(probe) !== undefined;
  });
  const simple = timeLookups(queries, (name) => setHasParent(reference.value, name));
  const fromText = await loadFromText(domains, queries);

  const byteLengthPerDomain = set.byteLength / set.size;
  const heapPerDomain = compact.heapBytes / set.size;
  const referenceHeapPerDomain = reference.heapBytes / reference.value.size;
  const bytesOk = Math.max(byteLengthPerDomain, heapPerDomain) <= MAX_BYTES_PER_DOMAIN;
  const speedOk = full.ns <= MAX_NS_PER_LOOKUP;

  console.log(
    `${DOMAINS.toLocaleString("en")} domains (2–4 labels), ${LOOKUPS.toLocaleString("en")} ` +
      `5-label lookups (half hits), Deno ${Deno.version.deno}; heap = heapUsed + external ` +
      `growth after gc(), with the input string[] held throughout (so not counted); build: best of ` +
      `${ROUNDS}, lookup: median of ${ROUNDS} passes.`,
  );
  console.log();
  console.log("| structure | build ms | B/domain (byteLength) | B/domain (heap) | ns/lookup |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  console.log(
    `| DomainSet | ${fixed(compactBuildMs, 0)} | ${fixed(byteLengthPerDomain, 2)} | ` +
      `${fixed(heapPerDomain, 2)} | ${fixed(full.ns)} |`,
  );
  console.log(
    `| Set<string>, each parent (set alone) | ${fixed(referenceBuildMs, 0)} | — | ` +
      `${fixed(referenceHeapPerDomain, 2)} | ${fixed(simple.ns)} |`,
  );
  console.log(`| string[] input (its strings) | — | — | ${fixed(inputPerDomain, 2)} | — |`);
  console.log();
  console.log(
    `hash once (NameProbe.load): ${fixed(hashOnly.ns)} ns; each further set probed: ` +
      `~${fixed(full.ns - hashOnly.ns)} ns`,
  );
  console.log(
    `DomainSet / Set<string>: lookup time ${fixed(full.ns / simple.ns, 2)}; memory ` +
      `${fixed(heapPerDomain / (referenceHeapPerDomain + inputPerDomain), 3)} (Set + strings)`,
  );
  console.log(`hits: DomainSet ${full.hits}, Set<string> ${simple.hits} (expected ${LOOKUPS / 2})`);
  console.log(
    `1M-line hosts file → loaded memory store: ${fixed(fromText.totalMs, 0)} ms ` +
      `(parse ${fixed(fromText.parseMs, 0)} ms, build ${fixed(fromText.buildMs, 0)} ms), ` +
      `longest event-loop pause meanwhile ${fixed(fromText.longestPauseMs, 0)} ms; ` +
      `decision through the store: ${fixed(fromText.decideNs)} ns (${fromText.hits} blocked)`,
  );
  console.log(
    `${verdict(bytesOk)} ≤ ${MAX_BYTES_PER_DOMAIN} B/domain; ` +
      `${verdict(speedOk)} ≤ ${MAX_NS_PER_LOOKUP} ns/lookup; ` +
      `${verdict(full.hits === simple.hits)} same hits as Set<string>`,
  );
}

await main();
