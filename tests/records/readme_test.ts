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
  assert.deepEqual(data("example.com", RType.A), [{ address: "1.2.3.4" }, { address: "1.2.3.5" }]);
  assert.deepEqual(data("5.3.2.1.in-addr.arpa", RType.PTR), [
    { target: "example.com" },
    { target: "example.my" },
  ]);
  assert.deepEqual(data("workstation12.corp.example", RType.A), [{ address: "172.16.2.12" }]);
  assert.deepEqual(data("10-1-2-3.ip.example", RType.A), [{ address: "10.1.2.3" }]);
  assert.equal(lookup(store, "300-1-1-1.ip.example", RType.A)?.rcode, Rcode.NXDOMAIN);
  assert.equal(lookup(store, "missing.lab.example", RType.A)?.rcode, Rcode.NXDOMAIN);
  assert.equal(lookup(store, "mail.google.com", RType.A), undefined);
  assert.equal(lookup(store, "x.corp.example", RType.A), undefined);
});
