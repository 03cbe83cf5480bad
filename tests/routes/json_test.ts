/**
 * The JSON API through app.request(): /resolve and /dns-query with accept: application/dns-json
 * answer in the Google/Cloudflare format from the same pipeline (local records included),
 * parameters are read as those providers document them, and bad ones are 400 with a JSON
 * reason. Then the format itself for every record type and section.
 */
import assert from "node:assert/strict";
import { createApp } from "../../app.ts";
import {
  buildReply,
  decodeMessage,
  encodeExtendedError,
  type Message,
  RClass,
  Rcode,
  type ResourceRecord,
  RType,
} from "../../dns/mod.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { parseRecords } from "../../records/parse.ts";
import { localStage } from "../../records/stage.ts";
import { RecordStore } from "../../records/store.ts";
import { jsonQuery, toDnsJson } from "../../routes/dns_json.ts";
import { queryMessage } from "../support/dns_query.ts";
import { localResolver } from "../support/local_resolver.ts";

const log = createQueryLog({ toStdout: false, capacity: 50 });
const records = {
  current: new RecordStore(parseRecords("lab.example A 10.0.0.1\nlab.example ZONE"), 1),
};
const app = createApp({
  resolver: localResolver({ "www.example": ["192.0.2.1", "192.0.2.2"] }, {
    extraStages: [localStage({ records })],
    log,
  }),
});

async function json(path: string, headers: Record<string, string> = {}) {
  const response = await app.request(path, { headers });
  return { response, body: await response.json() };
}

Deno.test("GET /resolve answers in the Google format with application/json", async () => {
  const { response, body } = await json("/resolve?name=www.example&type=A");
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/json");
  assert.equal(response.headers.get("cache-control"), "max-age=300");
  assert.deepEqual(body, {
    Status: 0,
    TC: false,
    RD: true,
    RA: true,
    AD: false,
    CD: false,
    Question: [{ name: "www.example.", type: 1 }],
    Answer: [
      { name: "www.example.", type: 1, TTL: 300, data: "192.0.2.1" },
      { name: "www.example.", type: 1, TTL: 300, data: "192.0.2.2" },
    ],
  });
  const entry = log.recent().at(-1)!;
  assert.equal(entry.door, "json");
});

Deno.test("GET /dns-query with accept: application/dns-json answers JSON as Cloudflare does", async () => {
  const { response, body } = await json("/dns-query?name=www.example", {
    accept: "application/dns-json",
  });
  assert.equal(response.headers.get("content-type"), "application/dns-json");
  assert.equal(body.Answer.length, 2);
});

Deno.test("GET /dns-query by name without a dns parameter is JSON; with one it is still DoH", async () => {
  const byName = await json("/dns-query?name=www.example");
  assert.equal(byName.response.headers.get("content-type"), "application/dns-json");
  const wire = await app.request("/dns-query?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlAAABAAE");
  assert.equal(wire.headers.get("content-type"), "application/dns-message");
  assert.equal(decodeMessage(new Uint8Array(await wire.arrayBuffer())).answers.length, 2);
  // A dns parameter is RFC 8484 wire format whatever Accept says.
  for (
    const path of ["/dns-query?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlAAABAAE", "/dns-query?dns=%41"]
  ) {
    const asked = await app.request(path, { headers: { accept: "application/dns-json" } });
    assert.match(
      asked.headers.get("content-type") ?? "",
      /^(application\/dns-message|text\/plain)/,
      path,
    );
    await asked.arrayBuffer();
  }
});

Deno.test("names are asked with or without the trailing dot, in any case", async () => {
  for (const name of ["www.example", "www.example.", "WWW.Example."]) {
    const { body } = await json(`/resolve?name=${name}`);
    assert.equal(body.Answer.length, 2, name);
    assert.equal(body.Question[0].name, "www.example.", name);
  }
});

Deno.test("local records answer the JSON API too, authoritative NXDOMAIN with its SOA", async () => {
  const local = await json("/resolve?name=lab.example");
  assert.deepEqual(local.body.Answer, [
    { name: "lab.example.", type: 1, TTL: 60, data: "10.0.0.1" },
  ]);
  const missing = await json("/resolve?name=nope.lab.example&type=aaaa");
  assert.equal(missing.response.status, 200);
  assert.equal(missing.body.Status, 3);
  assert.equal(missing.body.Answer, undefined);
  assert.deepEqual(missing.body.Authority, [{
    name: "lab.example.",
    type: 6,
    TTL: 60,
    data: "lab.example. hostmaster.lab.example. 1 3600 600 86400 60",
  }]);
  assert.equal(missing.body.Question[0].type, 28);
});

Deno.test("type is taken by name in any case, by number, or as TYPEnnn", async () => {
  const cases: [string, number][] = [["mx", 15], ["AAAA", 28], ["16", 16], ["TYPE65280", 65280]];
  for (const [type, number] of cases) {
    const { body } = await json(`/resolve?name=www.example&type=${type}`);
    assert.equal(body.Question[0].type, number, type);
  }
});

Deno.test("do and cd set the DO and CD bits; cd is echoed in the answer", async () => {
  const { body } = await json("/resolve?name=www.example&cd=1&do=true");
  assert.equal(body.CD, true);
  const off = await json("/resolve?name=www.example&cd=false&do=0");
  assert.equal(off.body.CD, false);
});

Deno.test("bad parameters are HTTP 400 with a JSON reason", async () => {
  const cases: [string, string][] = [
    ["/resolve", "missing name parameter (a domain name)"],
    ["/resolve?name=", "missing name parameter (a domain name)"],
    [
      "/resolve?name=example..com",
      'invalid name "example..com": empty label',
    ],
    [
      "/resolve?name=.example.com",
      'invalid name ".example.com": empty label',
    ],
    [
      `/resolve?name=${"a".repeat(64)}.example`,
      `invalid name "${"a".repeat(64)}.example": label longer than 63 octets`,
    ],
    [
      `/resolve?name=${"abcdefghi.".repeat(26)}example`,
      `invalid name "${"abcdefghi.".repeat(26)}example": name longer than 255 octets`,
    ],
    [
      "/resolve?name=b%C3%BCcher.example",
      'invalid name "bücher.example": use ASCII, with punycode (xn--…) for other scripts',
    ],
    [
      "/resolve?name=example.com&type=BOGUS",
      'invalid type "BOGUS": expected a type name (A, AAAA, MX…) or a number from 1 to 65535',
    ],
    [
      "/resolve?name=example.com&type=0",
      'invalid type "0": expected a type name (A, AAAA, MX…) or a number from 1 to 65535',
    ],
    [
      "/resolve?name=example.com&type=65536",
      'invalid type "65536": expected a type name (A, AAAA, MX…) or a number from 1 to 65535',
    ],
    ["/resolve?name=example.com&cd=2", 'invalid cd flag "2": expected empty, 0, false, 1 or true'],
    [
      "/resolve?name=example.com&do=yes",
      'invalid do flag "yes": expected empty, 0, false, 1 or true',
    ],
    [
      "/dns-query?name=example..com",
      'invalid name "example..com": empty label',
    ],
  ];
  for (const [path, error] of cases) {
    const response = await app.request(path, { headers: { accept: "application/dns-json" } });
    assert.equal(response.status, 400, path);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    assert.deepEqual(await response.json(), { error }, path);
  }
});

Deno.test("other methods on /resolve are 405 with Allow: GET", async () => {
  const response = await app.request("/resolve?name=www.example", { method: "POST" });
  assert.equal(response.status, 405);
  assert.equal(response.headers.get("allow"), "GET");
  assert.deepEqual(await response.json(), { error: "method not allowed: use GET" });
});

Deno.test("a URL over the limit is 414", async () => {
  const response = await app.request(`/resolve?name=${"a".repeat(7000)}`);
  assert.equal(response.status, 414);
  await response.body?.cancel();
});

Deno.test("ct=application/dns-message asks for the wire answer, as Google allows", async () => {
  const response = await app.request("/resolve?name=www.example&ct=application/dns-message");
  assert.equal(response.headers.get("content-type"), "application/dns-message");
  const reply = decodeMessage(new Uint8Array(await response.arrayBuffer()));
  assert.equal(reply.answers.length, 2);
});

Deno.test("jsonQuery() asks with RD, EDNS and the bits asked for", () => {
  const asked = jsonQuery(new URLSearchParams("name=Example.COM.&type=txt&do&cd=true"));
  assert.ok("query" in asked);
  const query = decodeMessage(asked.query);
  assert.deepEqual(query.questions, [{ name: "example.com", type: RType.TXT, class: RClass.IN }]);
  assert.equal(query.header.recursionDesired, true);
  assert.equal(query.header.checkingDisabled, true);
  assert.equal(query.edns?.dnssecOk, true);
  const root = jsonQuery(new URLSearchParams("name=.&type=NS"));
  assert.ok("query" in root);
  assert.equal(decodeMessage(root.query).questions[0].name, "");
});

const rr = (type: number, data: ResourceRecord["data"], name = "t.example"): ResourceRecord => ({
  name,
  type,
  class: RClass.IN,
  ttl: 30,
  data,
});
const bytes = (...values: number[]) => Uint8Array.from(values);
const text = (value: string) => new TextEncoder().encode(value);

/** One record of every type the codec models, and what its `data` must read. */
const EVERY_TYPE: [ResourceRecord, string][] = [
  [rr(RType.A, { address: "192.0.2.1" }), "192.0.2.1"],
  [rr(RType.AAAA, { address: "2001:db8::1" }), "2001:db8::1"],
  [rr(RType.NS, { target: "ns1.t.example" }), "ns1.t.example."],
  [rr(RType.CNAME, { target: "www.t.example" }), "www.t.example."],
  [rr(RType.PTR, { target: "host.t.example" }), "host.t.example."],
  [rr(RType.DNAME, { target: "other.example" }), "other.example."],
  [rr(RType.MX, { preference: 10, exchange: "mail.t.example" }), "10 mail.t.example."],
  [rr(RType.TXT, { strings: [text('say "hi"'), text("two")] }), '"say \\"hi\\"" "two"'],
  [
    rr(RType.SOA, {
      mname: "ns1.t.example",
      rname: "hostmaster.t.example",
      serial: 1,
      refresh: 2,
      retry: 3,
      expire: 4,
      minimum: 5,
    }),
    "ns1.t.example. hostmaster.t.example. 1 2 3 4 5",
  ],
  [rr(RType.SRV, { priority: 1, weight: 2, port: 3, target: "s.t.example" }), "1 2 3 s.t.example."],
  [
    rr(RType.CAA, { flags: 128, tag: "iodef", value: text("mailto:a@t.example") }),
    '128 iodef "mailto:a@t.example"',
  ],
  [
    rr(RType.HTTPS, { priority: 1, target: "", params: [{ key: 1, value: bytes(2, 0x68, 0x32) }] }),
    "1 . alpn=h2",
  ],
  [
    rr(RType.SVCB, { priority: 0, target: "alias.t.example", params: [] }),
    "0 alias.t.example.",
  ],
  [rr(RType.DS, { keyTag: 1, algorithm: 13, digestType: 2, digest: bytes(0xab) }), "1 13 2 AB"],
  [
    rr(RType.DNSKEY, { flags: 256, protocol: 3, algorithm: 13, publicKey: bytes(1) }),
    "256 3 13 AQ==",
  ],
  [
    rr(RType.RRSIG, {
      typeCovered: RType.A,
      algorithm: 13,
      labels: 2,
      originalTtl: 30,
      expiration: 0,
      inception: 0,
      keyTag: 7,
      signerName: "t.example",
      signature: bytes(0),
    }),
    "A 13 2 30 19700101000000 19700101000000 7 t.example. AA==",
  ],
  [
    rr(RType.NSEC, { nextName: "u.t.example", types: [RType.A, RType.RRSIG] }),
    "u.t.example. A RRSIG",
  ],
  [rr(RType.HINFO, { bytes: bytes(1, 0x78, 1, 0x79) }), "\\# 4 01780179"],
  [rr(65280, { bytes: bytes(0x0a) }), "\\# 1 0A"],
];

Deno.test("toDnsJson() writes every record type in presentation format, in every section", () => {
  const built = buildReply(queryMessage("t.example", RType.A), {
    authoritative: true,
    answers: EVERY_TYPE.map(([record]) => record),
    authorities: [rr(RType.NS, { target: "ns1.t.example" }, "")],
    additionals: [rr(RType.A, { address: "192.0.2.53" }, "ns1.t.example")],
  });
  const reply: Message = {
    ...built,
    header: {
      ...built.header,
      truncated: true,
      recursionDesired: false,
      authenticData: true,
      checkingDisabled: true,
    },
    edns: {
      udpSize: 1232,
      version: 0,
      dnssecOk: false,
      flags: 0,
      options: [
        encodeExtendedError({ infoCode: 15, text: "Blocked (ads: t.example)" }),
        encodeExtendedError({ infoCode: 3 }),
      ],
    },
  };
  const json = toDnsJson(reply);
  assert.deepEqual(
    [json.Status, json.TC, json.RD, json.RA, json.AD, json.CD],
    [0, true, false, true, true, true],
  );
  assert.deepEqual(json.Question, [{ name: "t.example.", type: 1 }]);
  assert.deepEqual(
    json.Answer,
    EVERY_TYPE.map(([record, data]) => ({ name: "t.example.", type: record.type, TTL: 30, data })),
  );
  assert.deepEqual(json.Authority, [{ name: ".", type: 2, TTL: 30, data: "ns1.t.example." }]);
  assert.deepEqual(json.Additional, [
    { name: "ns1.t.example.", type: 1, TTL: 30, data: "192.0.2.53" },
  ]);
  assert.deepEqual(json.Comment, ["EDE(15): Blocked (ads: t.example)", "EDE(3)"]);
});

Deno.test("toDnsJson() leaves out empty sections and Comment", () => {
  const json = toDnsJson(
    buildReply(queryMessage("t.example", RType.A), { rcode: Rcode.SERVFAIL }),
  );
  assert.deepEqual(Object.keys(json), ["Status", "TC", "RD", "RA", "AD", "CD", "Question"]);
  assert.equal(json.Status, 2);
});
