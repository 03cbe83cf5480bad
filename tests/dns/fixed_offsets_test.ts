/**
 * Only `dns/` knows where a field of a DNS message sits: every other product module reads and
 * patches message bytes through the codec's named accessors (dns/view.ts), so a layout rule is
 * written once. The test reads every product .ts file outside dns/ (tests/ and bench/ are not
 * product) and fails on a byte read or written at a fixed offset (`bytes[3] & 0x0f`,
 * `bytes[at + 2] = …`), a comparison with OPT's type number, or a header size defined again.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

/** Folders that are not product code, or that are the codec itself. */
const SKIPPED = new Set(["dns", "tests", "bench", "node_modules", ".git"]);

/**
 * Files that index bytes which are not DNS messages, each with what they hold. An entry with
 * `only` allows just that text; every entry must still match something (a stale entry fails).
 */
const ALLOWED: { path: string; holds: string; only?: string }[] = [
  { path: "runtime/libc_sockets.ts", holds: "sockaddr structs and socket option words (FFI)" },
  { path: "doors/udp_direct.ts", holds: "sockaddr structs (FFI)" },
  { path: "doors/udp_shared.ts", holds: "sockaddr and pollfd structs (FFI)" },
  { path: "doors/handshake_reaper.ts", holds: "sockaddr structs (FFI)" },
  { path: "doors/server_name.ts", holds: "socklen_t words (FFI)" },
  { path: "runtime/descriptor_limit.ts", holds: "an rlimit struct (FFI)" },
  { path: "net/address_text.ts", holds: "IPv4 and IPv6 address bytes" },
  { path: "net/cidr.ts", holds: "IPv4-mapped IPv6 address bytes" },
  { path: "net/framing.ts", holds: "the two-byte TCP length prefix before a message" },
  { path: "cache/shared_tier.ts", holds: "the shared tier's own entry header (format byte)" },
  { path: "blocklist/set_file.ts", holds: "a stored list build's header and directory words" },
  {
    path: "blocklist/stage.ts",
    holds: "the RD bit in the block answer's memo key: this file belongs to issue 20's point 2 " +
      "(answer reuse in one place), which rewrites the key; `recursionDesired` is its accessor",
    only: "ctx.raw[2] & 1",
  },
];

/** An index by a number, or by a name plus a number, right after a name: `x[3]`, `x.y[at + 2]`. */
const FIXED_INDEX = /[\w$#\]]\[(?:\d+|[A-Za-z_$][\w$]* \+ \d+)\]/g;
/** Before such an index: a bitwise operator, as in `(a[0] << 8) | a[1]`. */
const BYTE_BEFORE = /(?:<<|>>>?|[&|^])\s*$/;
/** After it: a shift, a mask, an assignment, a step, or a comparison with a number literal. */
const BYTE_AFTER = /^\s*(?:<<|>>>?|[&|^](?!&|\|)|[-+]?=(?!=)|--|\+\+|[!=]==\s*\d)/;
/** OPT's type number written out instead of `RType.OPT`. */
const OPT_NUMBER = /[!=]==\s*41\b|\b41\s*[!=]==/;
/** A message layout constant defined outside the codec. */
const LAYOUT_CONSTANT = /\bconst\s+(?:HEADER_SIZE|OPT_FIXED|OPT_SIZE)\b/;

/** The code of a line: comment lines and trailing `// …` comments removed. */
function codeOf(line: string): string {
  const trimmed = line.trimStart();
  if (trimmed.startsWith("*") || trimmed.startsWith("//") || trimmed.startsWith("/*")) return "";
  return line.replace(/\s\/\/\s.*$/, "");
}

/** What in one line of code reads message bytes by offset; empty when nothing does. */
export function fixedOffsets(line: string): string[] {
  const code = codeOf(line);
  const found: string[] = [];
  for (const match of code.matchAll(FIXED_INDEX)) {
    const start = match.index + 1;
    const end = match.index + match[0].length;
    if (BYTE_BEFORE.test(code.slice(0, start)) || BYTE_AFTER.test(code.slice(end))) {
      found.push(code.slice(start, end));
    }
  }
  if (OPT_NUMBER.test(code)) found.push("41");
  if (LAYOUT_CONSTANT.test(code)) found.push(code.trim());
  return found;
}

async function productFiles(dir = ""): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(new URL(dir || ".", ROOT))) {
    const path = dir + entry.name;
    if (entry.isDirectory && !(dir === "" && SKIPPED.has(entry.name))) {
      files.push(...await productFiles(`${path}/`));
    } else if (entry.isFile && entry.name.endsWith(".ts")) {
      files.push(path);
    }
  }
  return files.sort();
}

Deno.test("the detector sees the ways message bytes were read by offset", () => {
  const seen = [
    "if ((reply.bytes[3] & 0x0f) === Rcode.SERVFAIL) {",
    "return bytes[6] === 0 && bytes[7] === 0;",
    "const echoed = `${ctx.raw[2] & 1}`;",
    "const id = (reply[0] << 8) | reply[1];",
    "if (head.questionCount !== 1 || (raw[4] << 8 | raw[5]) !== 1) return undefined;",
    "outgoing[0] = id >> 8;",
    "bytes[opt + 3] = UPSTREAM_UDP_SIZE >> 8;",
    "if (cut < answer.bytes.length) bytes[11]--; // ARCOUNT",
    "const ttl = ((copy[offset] << 24) | (copy[offset + 1] << 16)) >>> 0;",
    "if (bytes[end] !== 0 || u16(end + 1) !== 41 || bytes[end + 5] !== 0) return undefined;",
    "const HEADER_SIZE = 12;",
  ];
  for (const line of seen) assert.notDeepEqual(fixedOffsets(line), [], line);
  const notBytes = [
    "const question = query.questions[0];",
    "return match ? [Number(match[1]), Number(match[2])] : undefined;",
    'return text.split("\\n", 1)[0];',
    "return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));",
    "const end = this.directory[bucket + 1];",
    " * assert.equal(bytes[6], 0); // in a doc comment",
  ];
  for (const line of notBytes) assert.deepEqual(fixedOffsets(line), [], line);
});

Deno.test("no product module outside dns/ reads or patches message bytes by offset", async () => {
  const offenders: string[] = [];
  const used = new Set<string>();
  for (const path of await productFiles()) {
    const lines = (await Deno.readTextFile(new URL(path, ROOT))).split("\n");
    lines.forEach((line, index) => {
      const found = fixedOffsets(line);
      if (found.length === 0) return;
      const allowed = ALLOWED.find((entry) =>
        entry.path === path && (entry.only === undefined || line.includes(entry.only))
      );
      if (allowed !== undefined) used.add(allowed.path);
      else offenders.push(`${path}:${index + 1}: ${found.join(", ")}`);
    });
  }
  assert.deepEqual(offenders, [], "use dns/view.ts's accessors:\n" + offenders.join("\n"));
  const stale = ALLOWED.filter((entry) => !used.has(entry.path)).map((entry) => entry.path);
  assert.deepEqual(stale, [], "allowed but no longer indexing bytes");
});
