/**
 * Where answers tailored to a client subnet are kept (cache/client_subnet.ts) and the bounded
 * index of their scopes (cache/subnet_scopes.ts).
 */
import assert from "node:assert/strict";
import {
  buildReply,
  type EdnsOption,
  EdnsOptionCode,
  encodeClientSubnet,
  encodeMessage,
  RType,
} from "../../dns/mod.ts";
import {
  exactKey,
  type QuerySubnet,
  querySubnet,
  replyScope,
  scopedKey,
} from "../../cache/client_subnet.ts";
import { SubnetScopes } from "../../cache/subnet_scopes.ts";
import { queryMessage } from "../support/dns_query.ts";

const option = (address: number[], source: number, scope = 0): EdnsOption =>
  encodeClientSubnet({
    family: 1,
    sourcePrefix: source,
    scopePrefix: scope,
    address: new Uint8Array(address),
  });

function subnetOf(options: EdnsOption[]): QuerySubnet {
  const subnet = querySubnet(queryMessage("a.example", RType.A, { edns: { options } }));
  assert.ok(subnet !== undefined && subnet !== "unreadable");
  return subnet;
}

function reply(options: EdnsOption[]): Uint8Array {
  const message = buildReply(queryMessage("a.example", RType.A, { edns: {} }));
  return encodeMessage({ ...message, edns: { ...message.edns!, options } });
}

Deno.test("querySubnet() reads the client's subnet, bits past its prefix cleared", () => {
  assert.deepEqual(subnetOf([option([1, 2, 0xff], 20)]), {
    family: 1,
    source: 20,
    address: new Uint8Array([1, 2, 0xf0]),
  });
  assert.equal(querySubnet(queryMessage("a.example", RType.A, { edns: {} })), undefined);
  const broken = { code: EdnsOptionCode.CLIENT_SUBNET, data: new Uint8Array([0, 1, 24]) };
  const query = queryMessage("a.example", RType.A, { edns: { options: [broken] } });
  assert.equal(querySubnet(query), "unreadable");
});

Deno.test("scopedKey() is the same for every client within the scope, and only for them", () => {
  const a = subnetOf([option([1, 2, 3], 24)]);
  const b = subnetOf([option([1, 2, 9], 24)]);
  const c = subnetOf([option([1, 3, 3], 24)]);
  assert.equal(scopedKey("k", a, 16), scopedKey("k", b, 16));
  assert.notEqual(scopedKey("k", a, 24), scopedKey("k", b, 24));
  assert.notEqual(scopedKey("k", a, 16), scopedKey("k", c, 16));
  assert.equal(scopedKey("k", a, 0), scopedKey("k", c, 0), "scope 0: one key for all");
  assert.ok(scopedKey("k", a, 24).startsWith("k|"), "a purge by name takes it too");
  assert.notEqual(exactKey("k", a), scopedKey("k", a, 24));
});

Deno.test("replyScope() is the reply's scope, 0 without an option, none for another's", () => {
  const a = subnetOf([option([1, 2, 3], 24)]);
  assert.equal(replyScope(reply([option([1, 2, 3], 24, 16)]), a), 16);
  assert.equal(replyScope(reply([option([1, 2, 3], 24, 32)]), a), 32);
  assert.equal(replyScope(reply([]), a), 0, "RFC 7871 §7.3.1: no option, scope 0");
  assert.equal(replyScope(reply([option([1, 2, 4], 24, 24)]), a), undefined, "other address");
  assert.equal(replyScope(reply([option([1, 2], 16, 16)]), a), undefined, "other prefix");
});

Deno.test("SubnetScopes gives the scopes a client can use, longest first, within bounds", () => {
  const scopes = new SubnetScopes(2);
  scopes.note("q", 0);
  scopes.note("q", 24);
  scopes.note("q", 16);
  scopes.note("q", 24);
  assert.deepEqual(scopes.within("q", 24), [24, 16, 0]);
  assert.deepEqual(scopes.within("q", 20), [16, 0]);
  for (let scope = 1; scope <= 20; scope++) scopes.note("q", scope);
  assert.ok(scopes.within("q", 128).length <= 8, "at most 8 scopes a question");
  scopes.note("r", 24);
  scopes.note("s", 24);
  assert.deepEqual(scopes.within("q", 24), [], "the oldest question went");
  assert.deepEqual(scopes.within("s", 24), [24]);
});
