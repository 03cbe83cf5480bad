/**
 * Pattern records on their own: what each placeholder kind matches, range checks, and values
 * rendered per name — an impossible value is no value, never a wrong one.
 */
import assert from "node:assert/strict";
import { RType } from "../../dns/mod.ts";
import { compilePattern, matchPattern, renderValue } from "../../records/pattern.ts";
import { tokenize } from "../../records/tokens.ts";

const pattern = (text: string) => compilePattern(tokenize(text)[0]);
const value = (type: number, text: string) => {
  const [typeToken, ...tokens] = tokenize(`X ${text}`);
  return { type, ttl: 60, tokens, typeToken };
};
const match = (source: string, name: string) => {
  const result = matchPattern(pattern(source), name);
  return result instanceof Map ? Object.fromEntries(result) : result;
};

Deno.test("a number placeholder matches digits only, within one label", () => {
  assert.deepEqual(match("host<n>.lab.example", "host42.lab.example"), { n: "42" });
  assert.equal(match("host<n>.lab.example", "hostx.lab.example"), undefined);
  assert.equal(match("host<n>.lab.example", "host.lab.example"), undefined);
  assert.equal(match("host<n>.lab.example", "host1.x.lab.example"), undefined);
  assert.equal(match("host<n>.lab.example", "host1.lab.example.org"), undefined);
});

Deno.test("a ranged placeholder is out of range outside its bounds, inclusive", () => {
  const source = "ws<n:10-20>.corp.example";
  assert.deepEqual(match(source, "ws10.corp.example"), { n: "10" });
  assert.deepEqual(match(source, "ws20.corp.example"), { n: "20" });
  assert.equal(match(source, "ws9.corp.example"), "out-of-range");
  assert.equal(match(source, "ws21.corp.example"), "out-of-range");
});

Deno.test("hex and label placeholders match an IPv6 group and a host label", () => {
  assert.deepEqual(match("v<x:hex>.v6.example", "vbeef.v6.example"), { x: "beef" });
  assert.equal(match("v<x:hex>.v6.example", "vbeefy.v6.example"), undefined);
  assert.deepEqual(match("<h:label>.svc.example", "web-1.svc.example"), { h: "web-1" });
  assert.equal(match("<h:label>.svc.example", "-web.svc.example"), undefined);
});

Deno.test("several placeholders split a label at their literal separators", () => {
  assert.deepEqual(match("<a>-<b>-<c>-<d>.ip.example", "192-168-0-1.ip.example"), {
    a: "192",
    b: "168",
    c: "0",
    d: "1",
  });
  assert.deepEqual(match("<a>.<b>.nip.example", "1.2.nip.example"), { a: "1", b: "2" });
});

Deno.test("a pattern's regular-expression characters in literals are literal", () => {
  assert.equal(match("a-<n>.lab.example", "a-1xlab.example"), undefined);
  assert.equal(match("a-<n>.lab.example", "a-1.labxexample"), undefined);
});

Deno.test("renderValue() substitutes into any value type, and gives nothing for an invalid value", () => {
  const values = new Map([["a", "10"], ["b", "300"], ["x", "beef"], ["h", "web"]]);
  assert.deepEqual(renderValue(value(RType.A, "192.0.2.<a>"), values), { address: "192.0.2.10" });
  assert.equal(renderValue(value(RType.A, "192.0.2.<b>"), values), undefined);
  assert.deepEqual(renderValue(value(RType.AAAA, "2001:db8::<x>"), values), {
    address: "2001:db8::beef",
  });
  assert.deepEqual(renderValue(value(RType.CNAME, "<h>.internal.example"), values), {
    target: "web.internal.example",
  });
  assert.deepEqual(renderValue(value(RType.TXT, '"host <a>" "\\<a>"'), values), {
    strings: [new TextEncoder().encode("host 10"), new TextEncoder().encode("<a>")],
  });
  assert.deepEqual(renderValue(value(RType.MX, "<a> mail.example"), values), {
    preference: 10,
    exchange: "mail.example",
  });
});

Deno.test("compilePattern() keeps the fixed domain after the last placeholder as the suffix", () => {
  assert.equal(pattern("workstation<n>.corp.example").suffix, "corp.example");
  assert.equal(pattern("a.<n>x.lab.example.").suffix, "lab.example");
  assert.equal(pattern("Host<N>.LAB.example").source, "host<n>.lab.example");
});

Deno.test("placeholder names are case-insensitive, like the names they sit in", () => {
  const compiled = pattern("Host<N>.lab.example");
  const result = matchPattern(compiled, "host7.lab.example");
  assert.ok(result instanceof Map);
  assert.deepEqual(renderValue(value(RType.A, "10.0.0.<N>"), result), { address: "10.0.0.7" });
});
