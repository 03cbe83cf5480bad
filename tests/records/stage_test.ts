/**
 * The local-records stage inside a real Resolver, in front of the table stage (the stand-in
 * for the upstream): authoritative answers, NODATA and NXDOMAIN with the SOA of the right
 * zone, falling through for names that are not local, CNAME chains, wildcards, empty
 * non-terminals, PTRs for every address, patterns and their range checks.
 */
import assert from "node:assert/strict";
import {
  decodeMessage,
  type Message,
  RClass,
  Rcode,
  type ResourceRecord,
  RType,
  type SoaData,
} from "../../dns/mod.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { parseRecords } from "../../records/parse.ts";
import { localStage } from "../../records/stage.ts";
import { RecordStore } from "../../records/store.ts";
import { makeQuery } from "../support/dns_query.ts";
import { localResolver } from "../support/local_resolver.ts";

const RECORDS = `
$TTL 300
example.com        A      1.2.3.4
example.com        A      1.2.3.5
1.2.3.5            example.my
www.google.com 120 A      192.168.55.66

lab.example        ZONE
lab.example        TXT    "v=spf1 -all"
lab.example        MX     10 mail.lab.example
mail.lab.example   A      10.0.0.25
mail.lab.example   AAAA   2001:db8::25
www.lab.example    CNAME  mail.lab.example
chain.lab.example  CNAME  www.lab.example
out.lab.example    CNAME  www.upstream.test
gone.lab.example   CNAME  missing.lab.example
loop1.lab.example  CNAME  loop2.lab.example
loop2.lab.example  CNAME  loop1.lab.example
a.b.lab.example    A      10.0.0.7
*.dev.lab.example  A      10.0.0.99
host.dev.lab.example TXT  "explicit"
sub.lab.example    FORWARD udp://192.0.2.53
empty.example      ZONE

workstation<n:0-255>.mohit.com  A  172.16.2.<n>
<a>-<b>-<c>-<d>.ip.example      A  <a>.<b>.<c>.<d>
`;

/** What the "upstream" (the table stage) knows. */
const UPSTREAM = {
  "www.upstream.test": ["192.0.2.80"],
  "other.example.com": ["192.0.2.81"],
  "x.sub.lab.example": ["192.0.2.82"],
};

function setup(text = RECORDS) {
  const records = { current: new RecordStore(parseRecords(text), 7) };
  const log = createQueryLog({ toStdout: false, capacity: 10 });
  const resolver = localResolver(UPSTREAM, { extraStages: [localStage({ records })], log });
  const ask = async (name: string, type: number = RType.A, klass: number = RClass.IN) => {
    const raw = makeQuery(name, type, {
      id: 0x4321,
      edns: {},
      questions: [{ name, type, class: klass }],
    });
    const { bytes, answer } = await resolver.resolve(raw, { address: "", door: "doh" });
    return { reply: decodeMessage(bytes), source: answer.source };
  };
  return { ask, log, records };
}

const data = (reply: Message) => reply.answers.map((r) => [r.name, r.type, r.data]);
const soaOf = (reply: Message): [string, number, number] => {
  assert.equal(reply.authorities.length, 1, "one SOA in authority");
  const [soa] = reply.authorities;
  assert.equal(soa.type, RType.SOA);
  return [soa.name, soa.ttl, (soa.data as SoaData).minimum];
};

Deno.test("a local name is answered with every value, authoritative, and logged as local", async () => {
  const { ask, log } = setup();
  const { reply, source } = await ask("example.com");
  assert.equal(source, "local");
  assert.equal(reply.header.id, 0x4321);
  assert.equal(reply.header.authoritative, true);
  assert.equal(reply.header.rcode, Rcode.NOERROR);
  assert.deepEqual(data(reply), [
    ["example.com", RType.A, { address: "1.2.3.4" }],
    ["example.com", RType.A, { address: "1.2.3.5" }],
  ]);
  assert.deepEqual(reply.answers.map((r) => r.ttl), [300, 300]);
  assert.equal(log.recent()[0].source, "local");
});

Deno.test("a local name asked in another case gets its answer in the client's spelling", async () => {
  const { ask } = setup();
  const { reply } = await ask("WWW.Google.COM");
  assert.equal(reply.header.authoritative, true);
  assert.deepEqual(reply.answers.map((r) => [r.data, r.ttl]), [[
    { address: "192.168.55.66" },
    120,
  ]]);
});

Deno.test("a known name asked for another type is NODATA with an SOA for the name", async () => {
  const { ask } = setup();
  const { reply, source } = await ask("example.com", RType.AAAA);
  assert.equal(source, "local");
  assert.equal(reply.header.rcode, Rcode.NOERROR);
  assert.equal(reply.header.authoritative, true);
  assert.deepEqual(reply.answers, []);
  assert.deepEqual(soaOf(reply), ["example.com", 300, 300]);
  assert.equal((reply.authorities[0].data as SoaData).serial, 7);
});

Deno.test("inside a local zone, NODATA carries the zone's SOA", async () => {
  const { ask } = setup();
  const { reply } = await ask("mail.lab.example", RType.TXT);
  assert.equal(reply.header.rcode, Rcode.NOERROR);
  assert.deepEqual(soaOf(reply), ["lab.example", 300, 300]);
});

Deno.test("an unknown name inside a local zone is NXDOMAIN; outside one it goes on upstream", async () => {
  const { ask } = setup();
  const inside = await ask("nothing.lab.example");
  assert.equal(inside.source, "local");
  assert.equal(inside.reply.header.rcode, Rcode.NXDOMAIN);
  assert.deepEqual(soaOf(inside.reply), ["lab.example", 300, 300]);

  const beside = await ask("other.example.com");
  assert.equal(beside.source, "upstream");
  assert.deepEqual(data(beside.reply), [["other.example.com", RType.A, { address: "192.0.2.81" }]]);
  const below = await ask("mail.google.com");
  assert.equal(below.source, "upstream");
  assert.equal(below.reply.header.authoritative, false);
});

Deno.test("a local zone's apex answers its SOA, and NODATA for other types", async () => {
  const { ask } = setup();
  const soa = await ask("lab.example", RType.SOA);
  assert.equal(soa.reply.header.authoritative, true);
  assert.deepEqual(data(soa.reply), [["lab.example", RType.SOA, {
    mname: "lab.example",
    rname: "hostmaster.lab.example",
    serial: 7,
    refresh: 3600,
    retry: 600,
    expire: 86400,
    minimum: 300,
  }]]);
  const empty = await ask("empty.example", RType.A);
  assert.equal(empty.reply.header.rcode, Rcode.NOERROR);
  assert.deepEqual(soaOf(empty.reply), ["empty.example", 300, 300]);
  assert.equal((await ask("www.empty.example")).reply.header.rcode, Rcode.NXDOMAIN);
});

Deno.test("a name between a record and its zone exists: NODATA, not NXDOMAIN (RFC 8020)", async () => {
  const { ask } = setup();
  const { reply, source } = await ask("b.lab.example");
  assert.equal(source, "local");
  assert.equal(reply.header.rcode, Rcode.NOERROR);
  assert.deepEqual(soaOf(reply), ["lab.example", 300, 300]);
});

Deno.test("a forward zone inside a local zone goes upstream instead of NXDOMAIN", async () => {
  const { ask } = setup();
  const { reply, source } = await ask("x.sub.lab.example");
  assert.equal(source, "upstream");
  assert.deepEqual(data(reply), [["x.sub.lab.example", RType.A, { address: "192.0.2.82" }]]);
});

Deno.test("a CNAME chain is answered with the target's records when the target is local", async () => {
  const { ask } = setup();
  const { reply } = await ask("chain.lab.example");
  assert.deepEqual(data(reply), [
    ["chain.lab.example", RType.CNAME, { target: "www.lab.example" }],
    ["www.lab.example", RType.CNAME, { target: "mail.lab.example" }],
    ["mail.lab.example", RType.A, { address: "10.0.0.25" }],
  ]);
  const aaaa = await ask("www.lab.example", RType.AAAA);
  assert.deepEqual(data(aaaa.reply).map(([, type]) => type), [RType.CNAME, RType.AAAA]);
});

Deno.test("a CNAME asked for as CNAME is answered alone", async () => {
  const { ask } = setup();
  const { reply } = await ask("chain.lab.example", RType.CNAME);
  assert.deepEqual(data(reply), [["chain.lab.example", RType.CNAME, {
    target: "www.lab.example",
  }]]);
});

Deno.test("a CNAME to a name that is not local is answered with the CNAME alone", async () => {
  const { ask } = setup();
  const { reply, source } = await ask("out.lab.example");
  assert.equal(source, "local");
  assert.equal(reply.header.rcode, Rcode.NOERROR);
  assert.deepEqual(data(reply), [["out.lab.example", RType.CNAME, {
    target: "www.upstream.test",
  }]]);
  assert.deepEqual(reply.authorities, []);
});

Deno.test("a CNAME to a missing local name is NXDOMAIN with the CNAME and the SOA", async () => {
  const { ask } = setup();
  const { reply } = await ask("gone.lab.example");
  assert.equal(reply.header.rcode, Rcode.NXDOMAIN);
  assert.equal(reply.answers.length, 1);
  assert.deepEqual(soaOf(reply), ["lab.example", 300, 300]);
});

Deno.test("a CNAME loop is answered as far as it goes, without hanging", async () => {
  const { ask } = setup();
  const { reply } = await ask("loop1.lab.example");
  assert.equal(reply.header.rcode, Rcode.NOERROR);
  assert.deepEqual(data(reply).map(([name]) => name), ["loop1.lab.example", "loop2.lab.example"]);
});

Deno.test("a wildcard answers names below it at any depth, owned by the name asked", async () => {
  const { ask } = setup();
  for (const name of ["x.dev.lab.example", "y.x.dev.lab.example"]) {
    const { reply } = await ask(name);
    assert.equal(reply.header.authoritative, true);
    assert.deepEqual(data(reply), [[name, RType.A, { address: "10.0.0.99" }]]);
  }
});

Deno.test("a wildcard does not answer for a name that exists, nor for its own parent", async () => {
  const { ask } = setup();
  const host = await ask("host.dev.lab.example");
  assert.equal(host.reply.header.rcode, Rcode.NOERROR);
  assert.deepEqual(host.reply.answers, [], "host.dev exists with a TXT only: NODATA");
  const parent = await ask("dev.lab.example");
  assert.equal(parent.reply.header.rcode, Rcode.NOERROR);
  assert.deepEqual(parent.reply.answers, []);
});

Deno.test("every address answers its reverse name, several names for one address included", async () => {
  const { ask } = setup();
  const shared = await ask("5.3.2.1.in-addr.arpa", RType.PTR);
  assert.equal(shared.source, "local");
  assert.deepEqual(data(shared.reply), [
    ["5.3.2.1.in-addr.arpa", RType.PTR, { target: "example.com" }],
    ["5.3.2.1.in-addr.arpa", RType.PTR, { target: "example.my" }],
  ]);
  const single = await ask("4.3.2.1.in-addr.arpa", RType.PTR);
  assert.deepEqual(data(single.reply).map(([, , d]) => d), [{ target: "example.com" }]);
  const nodata = await ask("4.3.2.1.in-addr.arpa", RType.A);
  assert.deepEqual(soaOf(nodata.reply)[0], "4.3.2.1.in-addr.arpa");
  const unknown = await ask("9.3.2.1.in-addr.arpa", RType.PTR);
  assert.equal(unknown.source, "upstream");
});

Deno.test("an IPv6 address answers its ip6.arpa name", async () => {
  const { ask } = setup();
  const name = "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";
  const { reply } = await ask(name, RType.PTR);
  assert.deepEqual(data(reply), [[name, RType.PTR, { target: "mail.lab.example" }]]);
});

Deno.test("a pattern computes its answer from the name", async () => {
  const { ask } = setup();
  const desk = await ask("workstation123.mohit.com");
  assert.equal(desk.source, "local");
  assert.equal(desk.reply.header.authoritative, true);
  assert.deepEqual(data(desk.reply), [
    ["workstation123.mohit.com", RType.A, { address: "172.16.2.123" }],
  ]);
  const ip = await ask("10-1-2-3.IP.example");
  assert.deepEqual(data(ip.reply).map(([, , d]) => d), [{ address: "10.1.2.3" }]);
});

Deno.test("a pattern name outside its range or making an invalid value is NXDOMAIN", async () => {
  const { ask } = setup();
  for (
    const [name, zone] of [
      ["workstation256.mohit.com", "mohit.com"],
      ["300-1-1-1.ip.example", "ip.example"],
      ["1-2-3-1000.ip.example", "ip.example"],
    ]
  ) {
    const { reply, source } = await ask(name);
    assert.equal(source, "local", name);
    assert.equal(reply.header.rcode, Rcode.NXDOMAIN, name);
    assert.deepEqual(reply.answers, [], name);
    assert.deepEqual(soaOf(reply), [zone, 300, 300]);
  }
});

Deno.test("a pattern name asked for another type is NODATA; other shapes go upstream", async () => {
  const { ask } = setup();
  const aaaa = await ask("workstation5.mohit.com", RType.AAAA);
  assert.equal(aaaa.reply.header.rcode, Rcode.NOERROR);
  assert.deepEqual(soaOf(aaaa.reply), ["mohit.com", 300, 300]);
  for (const name of ["workstation.mohit.com", "a-b-c-d.ip.example", "x.workstation1.mohit.com"]) {
    assert.equal((await ask(name)).source, "upstream", name);
  }
});

Deno.test("queries of another class than IN go on down the chain", async () => {
  const { ask } = setup();
  const { source } = await ask("example.com", RType.A, RClass.CH);
  assert.equal(source, "upstream");
});

Deno.test("a new store swapped in answers the next query", async () => {
  const { ask, records } = setup();
  assert.equal((await ask("new.example")).source, "upstream");
  records.current = new RecordStore(parseRecords("new.example A 192.0.2.99"), 8);
  const { reply, source } = await ask("new.example");
  assert.equal(source, "local");
  assert.deepEqual(reply.answers.map((r: ResourceRecord) => r.data), [{ address: "192.0.2.99" }]);
  assert.equal((await ask("example.com")).source, "upstream", "the old records are gone");
});
