/** The records file the README shows is one the gateway loads, and answers as the README says. */
import assert from "node:assert/strict";
import { Rcode, RType } from "../../dns/mod.ts";
import { lookup } from "../../records/lookup.ts";
import { parseRecords } from "../../records/parse.ts";
import { RecordStore } from "../../records/store.ts";

const README = await Deno.readTextFile(new URL("../../README.md", import.meta.url));

function exampleFile(): string {
  const section = README.slice(README.indexOf("## Local records, patterns and forward zones"));
  const match = /```text\n([\s\S]*?)```/.exec(section);
  assert.ok(match, "the README's records section holds an example file");
  return match[1];
}

Deno.test("the README's example records file loads, and answers as the README says", () => {
  const store = new RecordStore(parseRecords(exampleFile()), 1);
  const data = (name: string, type: number) =>
    lookup(store, name, type)?.answers.map((record) => record.data);
  assert.deepEqual(data("intranet.example", RType.A), [{ address: "1.2.3.4" }, {
    address: "1.2.3.5",
  }]);
  assert.deepEqual(data("5.3.2.1.in-addr.arpa", RType.PTR), [
    { target: "intranet.example" },
    { target: "files.example" },
  ]);
  assert.deepEqual(data("workstation12.corp.example", RType.A), [{ address: "172.16.2.12" }]);
  assert.deepEqual(data("10-1-2-3.ip.example", RType.A), [{ address: "10.1.2.3" }]);
  assert.equal(lookup(store, "300-1-1-1.ip.example", RType.A)?.rcode, Rcode.NXDOMAIN);
  assert.equal(lookup(store, "missing.lab.example", RType.A)?.rcode, Rcode.NXDOMAIN);
  assert.equal(lookup(store, "mail.google.com", RType.A), undefined);
  assert.equal(lookup(store, "x.corp.example", RType.A), undefined);
});

const TYPES: Record<string, number> = {
  A: RType.A,
  AAAA: RType.AAAA,
  MX: RType.MX,
  TXT: RType.TXT,
};

/** The names and types the README's dig and kdig commands ask, e.g. `example.com MX`. */
function namesAskedByCommands(): [string, string][] {
  const asked: [string, string][] = [];
  for (const line of README.split("\n")) {
    const words = line.replace(/#.*/, "").trim().split(/\s+/);
    if (words[0] !== "dig" && words[0] !== "kdig") continue;
    const rest = words.slice(1).filter((word) => !/^[@+-]/.test(word));
    const at = rest.findIndex((word) => /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+\.?$/i.test(word));
    if (at < 0 || words.includes("-x")) continue;
    asked.push([rest[at], rest[at + 1] in TYPES ? rest[at + 1] : "A"]);
  }
  return asked;
}

Deno.test("the README's example records take no name that its commands ask the upstream", () => {
  const store = new RecordStore(parseRecords(exampleFile()), 1);
  const asked = namesAskedByCommands();
  assert.ok(asked.some(([name, type]) => name === "example.com" && type === "MX"), `${asked}`);
  for (const [name, type] of asked) {
    assert.equal(lookup(store, name, TYPES[type]), undefined, `${name} ${type} would be local`);
  }
});
