import assert from "node:assert/strict";
import { encodeMessage, Rcode, RType } from "../../dns/mod.ts";
import { answerText, recentQueries } from "../../observe/recent_queries.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { queryMessage } from "../support/dns_query.ts";

function reply(rcode: number, addresses: string[]): Uint8Array {
  const message = queryMessage("www.example", RType.A);
  message.header.response = true;
  message.header.rcode = rcode;
  message.answers = addresses.map((address) => ({
    name: "www.example",
    type: RType.A,
    class: 1,
    ttl: 60,
    data: { address },
  }));
  return encodeMessage(message);
}

Deno.test("answerText() shows the answer records, 'no records' for none, and is bounded", () => {
  assert.equal(
    answerText(reply(Rcode.NOERROR, ["192.0.2.1", "192.0.2.2"])),
    "A 192.0.2.1, A 192.0.2.2",
  );
  assert.equal(answerText(reply(Rcode.NXDOMAIN, [])), "no records");
  assert.equal(answerText(undefined), "");
  assert.equal(answerText(new Uint8Array([1, 2, 3])), "(not readable)");
  const many = answerText(
    reply(Rcode.NOERROR, Array.from({ length: 40 }, (_, i) => `192.0.2.${i}`)),
  );
  assert.equal(many.length, 200);
  assert.ok(many.endsWith("…"));
});

Deno.test("recentQueries() gives the newest first with rcode names and answers", () => {
  const log = createQueryLog({ toStdout: false, capacity: 10 });
  const base = { client: "192.0.2.9", door: "udp" as const, type: RType.A };
  log.write({ ...base, time: 1, name: "a.example", rcode: Rcode.NOERROR }, reply(0, ["192.0.2.1"]));
  log.write({ ...base, time: 2, name: "b.example", rcode: Rcode.NXDOMAIN }, reply(3, []));
  log.write({ ...base, time: 3, name: "c.example" });
  const recent = recentQueries(log, 2);
  assert.deepEqual(recent.map((r) => [r.entry.name, r.rcode, r.answer]), [
    ["c.example", "", ""],
    ["b.example", "NXDOMAIN", "no records"],
  ]);
});
