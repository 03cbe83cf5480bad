import assert from "node:assert/strict";
import {
  editProfilesFile,
  LOCATE_MAX_BYTES,
  parseProfilesFile,
  ProfilesFileError,
} from "../../clients/profiles_file.ts";
import { checkPolicy, LIMITS } from "../../clients/spec.ts";
// @ts-types="npm:@types/js-yaml@4"
import { load } from "js-yaml";
import { parseDocument } from "yaml";
import { codeBlocks, readmeSection, readReadme } from "../support/readme_blocks.ts";

const CONTEXT = {
  blocklists: ["hagezi-pro", "stevenblack"],
  allowlists: ["ok"],
  udpAvailable: true,
};

const HOUSEHOLD = `# a household
profiles:
  family:
    blocklists: [hagezi-pro]
  kids:
    blocklists: [hagezi-pro, stevenblack]
    allowlists: []
    block: [TikTok.com, "*.roblox.com"]
    allow: [school.example]
    block_response: null
    safe_search: true
    upstreams: [udp://127.0.0.1:5300, tls://9.9.9.9]
    log: hash
clients:
  Kids' tablet:
    profile: kids
    ids: [Kids-Tablet]
  Home network:
    profile: family
    addresses: [192.168.1.0/24, "2001:db8::/48"]
`;

/** The mistake `text` has, as the startup line says it. */
function mistake(text: string): string {
  try {
    parseProfilesFile(text, "p.yaml", CONTEXT);
  } catch (error) {
    assert.ok(error instanceof ProfilesFileError, String(error));
    return error.message;
  }
  assert.fail("no mistake found");
}

Deno.test("a household's file reads as profiles and clients, names and entries canonical", () => {
  const doc = parseProfilesFile(HOUSEHOLD, "p.yaml", CONTEXT);
  assert.deepEqual(doc.profiles.map((p) => p.name), ["family", "kids"]);
  const kids = doc.profiles[1];
  assert.deepEqual(kids, {
    name: "kids",
    blocklists: ["hagezi-pro", "stevenblack"],
    allowlists: [],
    block: ["tiktok.com", "*.roblox.com"],
    allow: ["school.example"],
    safeSearch: true,
    blockResponse: "null",
    upstreams: ["udp://127.0.0.1:5300", "tls://9.9.9.9"],
    log: "hash",
  });
  assert.deepEqual(doc.profiles[0].blocklists, ["hagezi-pro"]);
  assert.equal(doc.profiles[0].allowlists, undefined, "absent: every allowlist");
  assert.deepEqual(doc.clients, [
    { name: "Kids' tablet", profile: "kids", ids: ["kids-tablet"], addresses: [] },
    {
      name: "Home network",
      profile: "family",
      ids: [],
      addresses: ["192.168.1.0/24", "2001:db8::/48"],
    },
  ]);
  assert.deepEqual(parseProfilesFile("", "p.yaml", CONTEXT), { profiles: [], clients: [] });
  assert.deepEqual(parseProfilesFile("# nothing yet\n", "p.yaml", CONTEXT).clients, []);
});

Deno.test("every mistake is said as file:line:column at the value at fault", () => {
  assert.equal(
    mistake("profiles:\n  kids:\n    safe_search: maybe\n"),
    "p.yaml:3:18: expected true or false",
  );
  assert.equal(
    mistake("profiles:\n  kids:\n    blocklists: [hagezi-pro, nope]\n"),
    'p.yaml:3:30: no block list named "nope" in BLOCKLIST_URLS (hagezi-pro, stevenblack)',
  );
  assert.match(
    mistake("profiles:\n  kids:\n    colour: red\n"),
    /^p\.yaml:3:5: unknown key "colour"; expected blocklists, /,
  );
  assert.match(
    mistake("profiles:\n  Kids!:\n    {}\n"),
    /^p\.yaml:2:3: "Kids!" is not a profile name/,
  );
  assert.equal(
    mistake("clients:\n  Tablet:\n    profile: kids\n    ids: [a]\n"),
    'p.yaml:3:14: no profile named "kids"',
  );
  assert.equal(
    mistake("clients:\n  Tablet:\n    profile: default\n    ids: [ok, not_ok]\n"),
    "p.yaml:4:15: \"not_ok\": a ClientID is one DNS label: letters, digits and '-', 1-63 long",
  );
  assert.equal(
    mistake(
      "clients:\n  A:\n    profile: default\n    ids: [x]\n  B:\n    profile: default\n    ids: [X]\n",
    ),
    'p.yaml:7:11: "x" belongs to client "A" already',
  );
  assert.equal(
    mistake(
      "clients:\n  A:\n    profile: default\n    addresses: [10.0.0.0/8]\n  B:\n    profile: default\n    addresses: [10.1.2.3/8]\n",
    ),
    'p.yaml:7:17: "10.1.2.3/8" belongs to client "A" already',
  );
  assert.equal(
    mistake("clients:\n  A:\n    profile: default\n    addresses: [10.0.0.300]\n"),
    'p.yaml:4:17: "10.0.0.300" is not an address or CIDR range',
  );
  assert.equal(
    mistake("clients:\n  A:\n    profile: default\n"),
    "p.yaml:3:5: a client needs ids (ClientIDs) or addresses to be known by",
  );
  assert.match(
    mistake("profiles:\n  kids:\n    block: [not a name]\n"),
    /^p\.yaml:3:13: "not a name": /,
  );
  assert.match(mistake("profiles:\n  kids:\n    upstreams: [ftp://x]\n"), /^p\.yaml:3:17: /);
  assert.equal(
    mistake("profiles:\n  kids:\n    log: loud\n"),
    "p.yaml:3:10: expected one of address, hash, off",
  );
  assert.equal(
    mistake("profiles: [kids]\n"),
    "p.yaml:1:11: profiles must be a mapping of names to settings",
  );
  assert.match(mistake("colours: {}\n"), /^p\.yaml:1:1: unknown key "colours"/);
});

Deno.test("a client's name is its key as written: spaces at its ends are a mistake, never a second client of that name", () => {
  assert.equal(
    mistake("clients:\n  ' Tablet':\n    profile: default\n    ids: [a]\n"),
    "p.yaml:2:3: a client's name does not start or end with spaces",
  );
  assert.equal(
    mistake(
      "clients:\n  Tablet:\n    profile: default\n    ids: [a]\n  'Tablet ':\n    profile: default\n    ids: [b]\n",
    ),
    "p.yaml:5:3: a client's name does not start or end with spaces",
  );
});

Deno.test("a client's name of 100 characters is one, whatever their script; 101 is too long", () => {
  for (const char of ["a", "é", "👪", "家"]) {
    const name = char.repeat(100);
    const doc = checkPolicy({ clients: { [name]: { profile: "default", ids: ["a"] } } }, CONTEXT);
    assert.equal(doc.clients[0].name, name);
    assert.throws(
      () =>
        checkPolicy({ clients: { [name + char]: { profile: "default", ids: ["a"] } } }, CONTEXT),
      /a client's name is 1-100 characters/,
    );
  }
});

Deno.test("YAML's own errors keep their place: a duplicate key, bad indentation; aliases are only data", () => {
  assert.equal(
    mistake("profiles:\n  kids: {}\n  kids: {}\n"),
    "p.yaml:3:3: duplicated mapping key",
  );
  assert.match(mistake("profiles:\n  kids:\n    block: [a.com\n"), /^p\.yaml:\d+:\d+: /);
  assert.match(mistake("profiles: !!js/function 'f'\n"), /^p\.yaml:1:\d+: unknown tag/);
  // A "billion laughs": aliases are shared references once read, never copies; it is just an
  // unknown key, said at once.
  const laughs = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 10; i++) {
    const prev = String.fromCharCode(96 + i);
    const name = String.fromCharCode(97 + i);
    laughs.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(",")}]`);
  }
  assert.match(mistake(laughs.join("\n") + "\n"), /^p\.yaml:1:1: unknown key "a"/);
});

Deno.test("the fast reader reads what the yaml package's document model reads", () => {
  const clients = Array.from(
    { length: 1000 },
    (_, i) =>
      `  "device ${i}":\n    profile: kids\n    ids: [d-${i}]\n    addresses: [10.0.${i >> 8}.${
        i & 255
      }]\n`,
  ).join("");
  for (
    const text of [
      HOUSEHOLD,
      `profiles:\n  kids: {safe_search: true, log: "off"}\nclients:\n${clients}`,
    ]
  ) {
    assert.deepEqual(load(text), parseDocument(text).toJS());
    assert.deepEqual(
      parseProfilesFile(text, "p.yaml", CONTEXT),
      checkPolicy(parseDocument(text).toJS(), CONTEXT),
    );
  }
});

Deno.test("the document is bounded: profiles, clients, entries", () => {
  const many = Array.from({ length: LIMITS.profiles + 1 }, (_, i) => `  p${i}: {}`).join("\n");
  assert.match(mistake(`profiles:\n${many}\n`), /at most 1000 profiles/);
  assert.match(
    mistake(
      `clients:\n  A:\n    profile: default\n    ids: [${
        Array.from({ length: 65 }, (_, i) => `i${i}`).join(",")
      }]\n`,
    ),
    /at most 64 items/,
  );
});

Deno.test("an edit keeps the file's comments and order, and reads back as the document edited", () => {
  const added = editProfilesFile(HOUSEHOLD, "profiles", "guest", { log: "off" });
  assert.ok(added.startsWith("# a household\n"), "the comment stays");
  const doc = parseProfilesFile(added, "p.yaml", CONTEXT);
  assert.deepEqual(doc.profiles.map((p) => p.name), ["family", "kids", "guest"]);
  assert.equal(doc.profiles[2].log, "off");
  const removed = editProfilesFile(added, "clients", "Home network", undefined);
  assert.deepEqual(parseProfilesFile(removed, "p.yaml", CONTEXT).clients.map((c) => c.name), [
    "Kids' tablet",
  ]);
  const fresh = editProfilesFile("", "clients", "Laptop", { profile: "default", ids: ["laptop"] });
  assert.deepEqual(parseProfilesFile(fresh, "p.yaml", CONTEXT).clients[0].ids, ["laptop"]);
});

Deno.test("removing from a file that has nothing there leaves it as it was, never an error", () => {
  for (const text of ["", "# only a comment\n", "profiles:\n", "profiles:\n  kids: {}\n"]) {
    const removed = editProfilesFile(text, "clients", "Laptop", undefined);
    assert.deepEqual(
      parseProfilesFile(removed, "p.yaml", CONTEXT),
      parseProfilesFile(text, "p.yaml", CONTEXT),
    );
  }
});

Deno.test("the README's household reads as it says: three profiles, three clients", async () => {
  const section = readmeSection(await readReadme(), "Clients and profiles");
  const [household] = codeBlocks(section, "yaml");
  const doc = parseProfilesFile(household, "README.md", CONTEXT);
  assert.deepEqual(doc.profiles.map((p) => p.name), ["default", "family", "kids"]);
  assert.deepEqual(doc.clients.map((c) => [c.name, c.profile]), [
    ["Parents' laptop", "family"],
    ["Kids' tablet", "kids"],
    ["Home network", "family"],
  ]);
  assert.equal(doc.profiles[2].safeSearch, true);
  // The mistakes it shows are said as it shows them.
  const [said] = codeBlocks(section, "text");
  assert.match(said, /expected true or false/);
  assert.match(
    mistake("clients:\n  Tablet:\n    profile: default\n    ids: [Kids_Tablet]\n"),
    /"Kids_Tablet": a ClientID is one DNS label: letters, digits and '-', 1-63 long$/,
  );
});

Deno.test("a mistake in a very large file is said by its path of keys, at once", () => {
  const clients = Array.from(
    { length: 20_000 },
    (_, i) => `  "device ${i}":\n    profile: default\n    ids: [d-${i}]\n`,
  ).join("");
  const text = `clients:\n${clients}  "last one":\n    profile: nope\n    ids: [last]\n`;
  assert.ok(text.length > LOCATE_MAX_BYTES);
  const started = performance.now();
  assert.equal(mistake(text), 'p.yaml: at clients › last one › profile: no profile named "nope"');
  assert.ok(performance.now() - started < 2000, "no syntax tree built");
});
