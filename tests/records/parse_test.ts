/**
 * The records-file parser: every record type in zone-file and hosts-file lines, TTLs,
 * wildcards, patterns, local and forward zones — and every mistake reported at its exact line
 * and column.
 */
import assert from "node:assert/strict";
import { RClass, RType } from "../../dns/mod.ts";
import { parseRecords } from "../../records/parse.ts";
import { RecordsSyntaxError } from "../../records/tokens.ts";

const text = (value: string) => new TextEncoder().encode(value);
const record = (name: string, type: number, ttl: number, data: unknown) => ({
  name,
  type,
  class: RClass.IN,
  ttl,
  data,
});

Deno.test("parseRecords() reads every record type with its value in canonical form", () => {
  const file = parseRecords([
    "Example.COM.      A      1.2.3.4",
    "v6.example        AAAA   2001:DB8:0:0::1",
    "alias.example     CNAME  Example.com.",
    'txt.example       TXT    "v=spf1 -all" plain "with \\"quotes\\" and \\065\\\\"',
    "example.com       MX     10 mail.example.com",
    "_sip._tcp.example SRV    10 60 5060 sip.example",
    "4.3.2.1.in-addr.arpa PTR host.example",
    "none.example      SRV    0 0 0 .",
  ].join("\n"));
  assert.deepEqual(file.records, [
    record("example.com", RType.A, 60, { address: "1.2.3.4" }),
    record("v6.example", RType.AAAA, 60, { address: "2001:db8::1" }),
    record("alias.example", RType.CNAME, 60, { target: "example.com" }),
    record("txt.example", RType.TXT, 60, {
      strings: [text("v=spf1 -all"), text("plain"), text('with "quotes" and A\\')],
    }),
    record("example.com", RType.MX, 60, { preference: 10, exchange: "mail.example.com" }),
    record("_sip._tcp.example", RType.SRV, 60, {
      priority: 10,
      weight: 60,
      port: 5060,
      target: "sip.example",
    }),
    record("4.3.2.1.in-addr.arpa", RType.PTR, 60, { target: "host.example" }),
    record("none.example", RType.SRV, 60, { priority: 0, weight: 0, port: 0, target: "" }),
  ]);
});

Deno.test("parseRecords() reads hosts-file lines as A or AAAA records for each name", () => {
  const file = parseRecords("1.2.3.5  example.com example.my\n::1 localhost.example # loopback");
  assert.deepEqual(file.records, [
    record("example.com", RType.A, 60, { address: "1.2.3.5" }),
    record("example.my", RType.A, 60, { address: "1.2.3.5" }),
    record("localhost.example", RType.AAAA, 60, { address: "::1" }),
  ]);
});

Deno.test("parseRecords() takes TTLs per record, from $TTL, in units, and IN in either place", () => {
  const file = parseRecords([
    "a.example A 192.0.2.1",
    "$TTL 1h",
    "b.example A 192.0.2.2",
    "c.example 30 A 192.0.2.3",
    "d.example IN 1d A 192.0.2.4",
    "e.example 1h30m IN A 192.0.2.5",
    "192.0.2.6 f.example",
  ].join("\n"));
  assert.deepEqual(file.records.map((r) => [r.name, r.ttl]), [
    ["a.example", 60],
    ["b.example", 3600],
    ["c.example", 30],
    ["d.example", 86400],
    ["e.example", 5400],
    ["f.example", 3600],
  ]);
});

Deno.test("parseRecords() skips blank lines and both kinds of comments, but not # inside quotes", () => {
  const file = parseRecords(
    '\n# hosts style\n; zone style\n  \nt.example TXT "a # b ; c" ; trailing\n\r\n',
  );
  assert.deepEqual(file.records.map((r) => r.data), [{ strings: [text("a # b ; c")] }]);
});

Deno.test("parseRecords() keeps wildcards as records owned by *.name", () => {
  const file = parseRecords("*.Lab.Example A 10.0.0.99");
  assert.deepEqual(file.records, [record("*.lab.example", RType.A, 60, { address: "10.0.0.99" })]);
});

Deno.test("parseRecords() groups pattern values by owner, with their TTLs", () => {
  const file = parseRecords([
    "workstation<n:0-255>.corp.example A 172.16.2.<n>",
    'workstation<n:0-255>.corp.example 30 TXT "desk <n>"',
    "<a>-<b>-<c>-<d>.ip.example A <a>.<b>.<c>.<d>",
  ].join("\n"));
  assert.equal(file.patterns.length, 2);
  const [desks, ip] = file.patterns;
  assert.equal(desks.pattern.source, "workstation<n:0-255>.corp.example");
  assert.equal(desks.pattern.suffix, "corp.example");
  assert.deepEqual(desks.values.map((v) => [v.type, v.ttl]), [[RType.A, 60], [RType.TXT, 30]]);
  assert.deepEqual(ip.pattern.placeholders.map((p) => p.name), ["a", "b", "c", "d"]);
  assert.deepEqual(file.records, []);
});

Deno.test("parseRecords() reads local zones and forward zones with one or several upstreams", () => {
  const file = parseRecords([
    "lab.example ZONE",
    "rev.example 30 ZONE",
    "corp.example FORWARD udp://10.0.0.1:53",
    "other.example FORWARD tcp://10.0.0.2, tls://dns.example  https://dns.example/q",
  ].join("\n"));
  assert.deepEqual(file.zones, [{ name: "lab.example", ttl: 60 }, {
    name: "rev.example",
    ttl: 30,
  }]);
  assert.deepEqual(file.forwards.map((f) => [f.zone, f.upstreams.map((u) => u.url)]), [
    ["corp.example", ["udp://10.0.0.1:53"]],
    ["other.example", [
      "tcp://10.0.0.2:53",
      "tls://dns.example:853",
      "https://dns.example:443/q",
    ]],
  ]);
});

/** The error parseRecords() throws for `text`. */
function mistake(text: string): RecordsSyntaxError {
  try {
    parseRecords(text);
  } catch (error) {
    if (error instanceof RecordsSyntaxError) return error;
    throw error;
  }
  assert.fail(`no error for ${JSON.stringify(text)}`);
}

/** Each bad line, the text of its error, and the column it points at. */
const MISTAKES: [string, string, number][] = [
  ["example.com", "a record type missing", 12],
  [
    "example.com 1.2.3.4",
    'expected a record type (A, AAAA, CNAME, TXT, MX, SRV, PTR, ZONE or FORWARD), found "1.2.3.4"',
    13,
  ],
  [
    "example.com NS ns1.example",
    "NS records are not served from the records file: use A, AAAA, CNAME, TXT, MX, SRV, PTR",
    13,
  ],
  ["example.com A 1.2.3.400", '"1.2.3.400" is not an IPv4 address', 15],
  ["example.com A", "IPv4 address missing", 14],
  ["example.com A 1.2.3.4 1.2.3.5", 'unexpected "1.2.3.5" after the value', 23],
  ["example.com AAAA 1.2.3.4", '"1.2.3.4" is not an IPv6 address', 18],
  ["example.com MX mail.example", '"mail.example" is not a preference from 0 to 65535', 16],
  ["example.com MX 70000 mail.example", '"70000" is not a preference from 0 to 65535', 16],
  ["_s._tcp.example SRV 1 2 3", "target name missing", 26],
  ["a.example CNAME b..example", '"b..example" is not a target name: an empty label', 17],
  [
    "a.example CNAME *.b.example",
    '"*.b.example" is not a target name: a wildcard is not allowed here',
    17,
  ],
  ['t.example TXT "open', "a quote that is never closed", 15],
  ["t.example TXT \\300", "\\300 is not a byte", 15],
  [`t.example TXT "${"x".repeat(256)}"`, "a string of 256 bytes: at most 255 fit in one", 15],
  ["t.example TXT", "text missing", 14],
  ["bad_name!.example A 1.2.3.4", "\"bad_name!.example\" is not a name: invalid character '!'", 1],
  ["example.com CH A 1.2.3.4", "only class IN is served from the records file", 13],
  [
    "example.com 10x A 1.2.3.4",
    'expected a record type (A, AAAA, CNAME, TXT, MX, SRV, PTR, ZONE or FORWARD), found "10x"',
    13,
  ],
  ["example.com 9999999999 A 1.2.3.4", "the TTL 9999999999 is over 2147483647 seconds", 13],
  ["$TTL", "$TTL needs a value", 5],
  ["$TTL soon", '"soon" is not a TTL: expected seconds or e.g. 5m, 1h, 1d', 6],
  ["$ORIGIN example.com", 'unknown directive "$ORIGIN": expected $TTL', 1],
  ["1.2.3.4", "an address needs at least one name after it", 8],
  ["1.2.3.4 example.com 5.6.7.8", '"5.6.7.8" is not a name: an IP address, not a name', 21],
  ["lab.example ZONE extra", 'unexpected "extra" after ZONE', 18],
  ["corp.example FORWARD", "FORWARD needs at least one upstream URL", 21],
  [
    "corp.example FORWARD udp://dns.example",
    'invalid upstream "udp://dns.example": udp:// needs an IP address, not the name "dns.example"; expected udp://host[:port], tcp://host[:port], tls://host[:port] or https://host[:port][/path]',
    22,
  ],
  [
    "corp.example FORWARD udp://10.0.0.1,ftp://x",
    'invalid upstream "ftp://x": unknown scheme "ftp"; expected udp://host[:port], tcp://host[:port], tls://host[:port] or https://host[:port][/path]',
    37,
  ],
  ["host<n.lab.example A 10.0.0.1", '"<" cannot stand in a pattern name', 5],
  [
    "host<n:a-b>.lab.example A 10.0.0.1",
    "<n:a-b> is not a placeholder: expected <name>, <name:from-to>, <name:hex> or <name:label>",
    5,
  ],
  ["host<n:9-1>.lab.example A 10.0.0.1", "the range 9-1 is empty", 5],
  ["<a><b>.lab.example A 10.0.0.1", "two placeholders need text between them", 4],
  ["<a>-<a>.lab.example A 10.0.0.1", "the placeholder <a> appears twice", 5],
  [
    "host<n> A 10.0.0.1",
    "a pattern needs whole labels and a fixed domain after its last placeholder (e.g. host<n>.lab.example)",
    1,
  ],
  ["host<n>.lab.example A 10.0.0.<m>", "<m> is not a placeholder of host<n>.lab.example", 30],
  ["host<h:label>.lab.example A 10.0.0.<h>", '"10.0.0.a" is not an IPv4 address', 29],
  ["host*<n>.lab.example A 10.0.0.1", '"*" cannot stand in a pattern name', 5],
];

for (const [line, reason, column] of MISTAKES) {
  Deno.test(`parseRecords() points at column ${column} of "${line.slice(0, 40)}": ${reason.slice(0, 50)}`, () => {
    const error = mistake(`# a comment first\n\n${line}\n`);
    assert.equal(error.reason, reason);
    assert.equal(error.line, 3);
    assert.equal(error.column, column);
    assert.equal(error.message, `line 3, column ${column}: ${reason}`);
  });
}

Deno.test("parseRecords() refuses a CNAME beside other records, naming the other line", () => {
  const cases: [string, number][] = [
    ["www.example A 1.2.3.4\nwww.example CNAME other.example", 13],
    ["www.example CNAME other.example\nwww.example TXT hi", 13],
    ["www.example CNAME a.example\nwww.example CNAME b.example", 13],
    ["1.2.3.4 www.example\nwww.example CNAME other.example", 13],
  ];
  for (const [text, column] of cases) {
    const error = mistake(text);
    assert.equal(error.line, 2);
    assert.equal(error.column, column);
    assert.match(
      error.reason,
      /^www\.example has a CNAME and other records \(the other is on line 1\)/,
    );
  }
});

Deno.test("parseRecords() refuses a zone declared twice or as both kinds", () => {
  assert.throws(
    () => parseRecords("lab.example ZONE\nlab.example FORWARD udp://10.0.0.1"),
    { message: "line 2, column 1: lab.example is already a local zone (line 1)" },
  );
  assert.throws(
    () => parseRecords("corp.example FORWARD udp://10.0.0.1\nCORP.example. FORWARD udp://10.0.0.2"),
    { message: "line 2, column 1: corp.example is already a forward zone (line 1)" },
  );
});

Deno.test("parseRecords() refuses udp:// forward zones where the runtime has no UDP", () => {
  assert.throws(
    () => parseRecords("corp.example FORWARD udp://10.0.0.1", { udpAvailable: false }),
    {
      message:
        "line 1, column 22: udp://10.0.0.1 needs UDP, which this runtime lacks (Deno Deploy); use tls:// or https://",
    },
  );
  const file = parseRecords("corp.example FORWARD tls://10.0.0.1", { udpAvailable: false });
  assert.equal(file.forwards.length, 1);
});

Deno.test("parseRecords() counts columns from 1 across tabs and leading blanks", () => {
  assert.throws(() => parseRecords("\t  a.example\tA\t1.2.3.999"), {
    message: 'line 1, column 16: "1.2.3.999" is not an IPv4 address',
  });
});
