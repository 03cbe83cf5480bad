import assert from "node:assert/strict";
import {
  decodeMessage,
  DnsWireError,
  EdeCode,
  EdnsOptionCode,
  findOption,
  Opcode,
  Rcode,
  RType,
} from "../../dns/mod.ts";
import { decodeExtendedError } from "../../dns/mod.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { replyAnswer } from "../../pipeline/answer_builders.ts";
import { compose } from "../../pipeline/compose.ts";
import { Resolver } from "../../pipeline/resolver.ts";
import type { ClientInfo, Stage } from "../../pipeline/types.ts";
import { makeQuery } from "../support/dns_query.ts";
import { localResolver } from "../support/local_resolver.ts";
import { capturedLines } from "../support/captured_lines.ts";

const client: ClientInfo = { address: "127.0.0.1", door: "doh" };
const table = { "www.example": ["192.0.2.1"] };

Deno.test("resolve() gives the client's ID back and the answer from the chain", async () => {
  const resolver = localResolver(table);
  const { bytes, answer } = await resolver.resolve(
    makeQuery("www.example", RType.A, { id: 4242 }),
    client,
  );
  const reply = decodeMessage(bytes);
  assert.equal(reply.header.id, 4242);
  assert.equal(reply.answers.length, 1);
  assert.equal(answer.ttl, 300);
  assert.equal(answer.source, "upstream");
});

Deno.test("resolve() throws DnsWireError for bytes that are not a DNS message", () => {
  assert.throws(
    () => localResolver(table).resolve(new Uint8Array([1, 2, 3]), client),
    DnsWireError,
  );
});

Deno.test("resolve() answers a non-QUERY opcode with NOTIMP", async () => {
  const query = makeQuery("www.example", RType.A, { opcode: Opcode.NOTIFY });
  const { bytes } = await localResolver(table).resolve(query, client);
  assert.equal(decodeMessage(bytes).header.rcode, Rcode.NOTIMP);
});

Deno.test("resolve() answers a query with no question with FORMERR", async () => {
  const query = makeQuery("", RType.A, { questions: [] });
  const { bytes, answer } = await localResolver(table).resolve(query, client);
  assert.equal(decodeMessage(bytes).header.rcode, Rcode.FORMERR);
  assert.equal(answer.source, "guard");
});

Deno.test("resolve() answers EDNS version 1 with BADVERS", async () => {
  const query = makeQuery("www.example", RType.A, { edns: { version: 1 } });
  const reply = decodeMessage((await localResolver(table).resolve(query, client)).bytes);
  assert.equal(reply.header.rcode, Rcode.BADVERS);
  assert.equal(reply.edns?.version, 0);
});

Deno.test("resolve() answers ANY with one HINFO record (RFC 8482)", async () => {
  const query = makeQuery("www.example", RType.ANY);
  const reply = decodeMessage((await localResolver(table).resolve(query, client)).bytes);
  assert.equal(reply.header.rcode, Rcode.NOERROR);
  assert.equal(reply.answers.length, 1);
  assert.equal(reply.answers[0].type, RType.HINFO);
});

Deno.test("resolve() refuses zone transfers (AXFR, IXFR) with EDE 18, asking nothing", async () => {
  for (const type of [RType.AXFR, RType.IXFR]) {
    const query = makeQuery("example", type, { edns: {} });
    const { bytes, answer } = await localResolver(table).resolve(query, client);
    const reply = decodeMessage(bytes);
    assert.equal(reply.header.rcode, Rcode.REFUSED);
    assert.equal(answer.source, "guard", "the table stage (the upstream) was never asked");
    const ede = findOption(reply.edns!, EdnsOptionCode.EXTENDED_ERROR);
    assert.equal(decodeExtendedError(ede!.data).infoCode, EdeCode.PROHIBITED);
  }
});

Deno.test("resolve() turns a throwing stage into SERVFAIL and logs the reason", async () => {
  const log = createQueryLog({ toStdout: false, capacity: 10 });
  const boom: Stage = () => Promise.reject(new TypeError("boom\nsecond line"));
  const resolver = localResolver(table, { extraStages: [boom], log });
  const query = makeQuery("www.example", RType.A, { edns: {} });
  const reply = decodeMessage((await resolver.resolve(query, client)).bytes);
  assert.equal(reply.header.rcode, Rcode.SERVFAIL);
  const ede = findOption(reply.edns!, EdnsOptionCode.EXTENDED_ERROR);
  assert.equal(decodeExtendedError(ede!.data).infoCode, EdeCode.OTHER);
  const [entry] = log.recent();
  assert.equal(entry.error, "TypeError: boom");
  assert.equal(entry.source, "error");
  assert.equal(entry.rcode, Rcode.SERVFAIL);
});

Deno.test("resolve() turns a stage that throws at once (not a rejection) into SERVFAIL too", async () => {
  const log = createQueryLog({ toStdout: false, capacity: 10 });
  const boom: Stage = () => {
    throw new RangeError("sync boom");
  };
  const resolver = localResolver(table, { extraStages: [boom], log });
  const resolution = resolver.resolve(makeQuery("www.example", RType.A), client);
  assert.ok(!(resolution instanceof Promise), "nothing was waited for");
  assert.equal(decodeMessage((await resolution).bytes).header.rcode, Rcode.SERVFAIL);
  assert.equal(log.recent()[0].error, "RangeError: sync boom");
});

Deno.test("resolve() answers at once when the chain did, and through a promise when it waited", async () => {
  const log = createQueryLog({ toStdout: false, capacity: 10 });
  const local: Stage = (ctx, next) =>
    ctx.question.name === "now.example"
      ? replyAnswer(ctx.query, { rcode: Rcode.NXDOMAIN }, "local")
      : next();
  const resolver = localResolver(table, { extraStages: [local], log });
  const now = resolver.resolve(makeQuery("now.example", RType.A, { id: 7 }), client);
  assert.ok(!(now instanceof Promise));
  assert.equal(decodeMessage(now.bytes).header.id, 7);
  assert.equal(now.answer.source, "local");
  assert.equal(log.recent().length, 1, "logged before resolve() returned");
  const later = resolver.resolve(makeQuery("www.example", RType.A, { id: 8 }), client);
  assert.ok(later instanceof Promise, "the table stage answers through a promise");
  assert.equal(decodeMessage((await later).bytes).header.id, 8);
});

Deno.test("resolve() gives each stage a signal that aborts when the budget runs out", async () => {
  let aborted = false;
  const waits: Stage = (ctx) =>
    new Promise((_, reject) => {
      ctx.signal.addEventListener("abort", () => {
        aborted = true;
        reject(ctx.signal.reason);
      });
    });
  const resolver = localResolver(table, { extraStages: [waits], queryTimeoutMs: 100 });
  const started = Date.now();
  const { bytes } = await resolver.resolve(makeQuery("www.example", RType.A), client);
  assert.ok(aborted);
  assert.ok(Date.now() - started < 1000);
  assert.equal(decodeMessage(bytes).header.rcode, Rcode.SERVFAIL);
});

Deno.test("a wall clock stepped back while a query waits does not stretch its budget", async () => {
  let reads = 0;
  // The first reading stamps the query; every later one is an hour earlier (an NTP step).
  const now = () => reads++ === 0 ? 5_000_000_000 : 5_000_000_000 - 3_600_000;
  const waits: Stage = (ctx) =>
    new Promise((_, reject) =>
      ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))
    );
  const resolver = new Resolver({
    stages: [waits],
    queryTimeoutMs: 100,
    log: createQueryLog({ toStdout: false, capacity: 10 }),
    now,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), 2000));
  const answered = await Promise.race([
    Promise.resolve(resolver.resolve(makeQuery("www.example", RType.A), client)),
    late,
  ]);
  clearTimeout(timer);
  assert.notEqual(answered, "late", "the budget should have run out after about 100 ms");
  if (answered !== "late") assert.equal(decodeMessage(answered.bytes).header.rcode, Rcode.SERVFAIL);
});

Deno.test("resolve() leaves out the OPT record for a client that sent none", async () => {
  const { bytes } = await localResolver(table).resolve(makeQuery("www.example", RType.A), client);
  assert.equal(decodeMessage(bytes).edns, undefined);
});

Deno.test("resolve() pads the answer to 468 bytes for a client that padded its query", async () => {
  const padding = { code: EdnsOptionCode.PADDING, data: new Uint8Array(20) };
  const query = makeQuery("www.example", RType.A, { edns: { options: [padding] } });
  const { bytes } = await localResolver(table).resolve(query, client);
  assert.equal(bytes.length % 468, 0);
  assert.equal(decodeMessage(bytes).answers.length, 1);
});

Deno.test("resolve() echoes the client's spelling of the question name (0x20)", async () => {
  const query = makeQuery("WwW.ExAmPlE", RType.A);
  const { bytes } = await localResolver(table).resolve(query, client);
  const text = new TextDecoder().decode(bytes.subarray(12, 25));
  assert.match(text, /WwW.ExAmPlE/);
  assert.equal(decodeMessage(bytes).answers.length, 1);
});

Deno.test("resolve() logs one entry per query with source, rcode and duration", async () => {
  const lines: string[] = [];
  const log = createQueryLog({
    toStdout: true,
    capacity: 10,
    print: capturedLines(lines),
  });
  await localResolver(table, { log }).resolve(makeQuery("www.example", RType.AAAA), client);
  assert.equal(lines.length, 1);
  const entry = JSON.parse(lines[0]);
  assert.equal(entry.name, "www.example");
  assert.equal(entry.type, "AAAA");
  assert.equal(entry.source, "upstream");
  assert.equal(entry.rcode, 0);
  assert.equal(entry.client, "127.0.0.1");
  assert.equal(typeof entry.durationMs, "number");
});

Deno.test("compose() rejects a stage that calls next() twice", async () => {
  const twice: Stage = async (_ctx, next) => {
    await next();
    return next();
  };
  const handler = compose([twice], () => Promise.resolve({} as never));
  await assert.rejects(async () => await handler({} as never), /called next\(\) twice/);
});
