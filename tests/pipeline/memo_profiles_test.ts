/**
 * The answer memo under profiles, at the resolver, as the DoH door drives it (`repeat`, else
 * `resolve` with the request): two profiles sending the very same request (a GET's URL, a POST's
 * body), one blocking the name and one letting knot's answer through, never get each other's
 * answer, whichever asks first and however often, also once each one's answer was remembered.
 */
import assert from "node:assert/strict";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { AnswerCache } from "../../cache/answer_cache.ts";
import { decodeMessage, Rcode, RType } from "../../dns/mod.ts";
import { AnswerMemo, type MemoRequest } from "../../pipeline/answer_memo.ts";
import { buildChain } from "../../pipeline/chain.ts";
import { plainProfile, type Profile } from "../../pipeline/profile.ts";
import { Resolver } from "../../pipeline/resolver.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { integration } from "../support/binaries.ts";
import { makeQuery } from "../support/dns_query.ts";
import { startKnot } from "../support/knot.ts";
import { directoryOf, poolOf } from "../support/profiles.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const NAME = `www.${TEST_ZONE}`;
const KIDS: Profile = { ...plainProfile("kids"), blocklists: ["games"] };
const FAMILY: Profile = { ...plainProfile("family"), blocklists: [] };
const KIDS_ADDRESS = "192.0.2.1";
const FAMILY_ADDRESS = "192.0.2.2";

for (
  const [shape, requestOf] of [
    ["GET URL", (raw: Uint8Array) => `/dns-query?dns=${raw.toBase64({ alphabet: "base64url" })}`],
    ["POST body", (raw: Uint8Array) => raw.slice()],
  ] as [string, (raw: Uint8Array) => MemoRequest][]
) {
  for (const first of ["kids", "family"]) {
    Deno.test({
      name: `the same ${shape} from two profiles never gets the other's answer (${first} first)`,
      ...integration(["knotd"]),
      async fn() {
        const knot = await startKnot();
        const pool = poolOf([`udp://127.0.0.1:${knot.port}`]);
        try {
          const blocklist = new MemoryBlocklist();
          await blocklist.load([{ name: "games", block: [NAME], allow: [] }]);
          const cache = new AnswerCache();
          const memo = new AnswerMemo();
          memo.dependOn(blocklist);
          memo.dependOn(cache);
          const resolver = new Resolver({
            stages: buildChain({
              forward: { pool, forwardClientSubnet: false },
              blocklist: {
                blocklist,
                answer: { response: "nxdomain", ttl: 300 },
                failMode: "open",
              },
              cache: { cache, prefetchHits: 0, refreshTimeoutMs: 1000 },
            }),
            queryTimeoutMs: 2000,
            log: createQueryLog({ toStdout: false, capacity: 100 }),
            memo,
            directory: directoryOf({ [KIDS_ADDRESS]: KIDS, [FAMILY_ADDRESS]: FAMILY }),
          });
          // Browsers send ID 0 (RFC 8484): every client's request is byte for byte the same.
          const raw = makeQuery(NAME, RType.A, { id: 0 });
          let repeats = 0;
          const ask = async (address: string) => {
            const request = requestOf(raw);
            const client = { address, door: "doh" as const, method: "GET" as const };
            const repeated = resolver.repeat(request, client);
            if (repeated !== undefined) repeats++;
            const resolution = repeated ?? await resolver.resolve(raw, client, undefined, request);
            return decodeMessage(resolution.bytes);
          };
          const order = first === "kids"
            ? [KIDS_ADDRESS, KIDS_ADDRESS, KIDS_ADDRESS, FAMILY_ADDRESS, FAMILY_ADDRESS]
            : [FAMILY_ADDRESS, FAMILY_ADDRESS, FAMILY_ADDRESS, KIDS_ADDRESS, KIDS_ADDRESS];
          // Each profile in runs (so each gets remembered), then alternating.
          const rounds = [
            ...order,
            ...[...order].reverse(),
            ...Array.from(
              { length: 8 },
              (_, i) => i % 2 === 0 ? KIDS_ADDRESS : FAMILY_ADDRESS,
            ),
          ];
          for (const address of rounds) {
            const reply = await ask(address);
            if (address === KIDS_ADDRESS) {
              assert.equal(reply.header.rcode, Rcode.NXDOMAIN, "kids: blocked");
              assert.deepEqual(reply.answers, []);
            } else {
              assert.equal(reply.header.rcode, Rcode.NOERROR, "family: knot's answer");
              assert.ok(reply.answers.length > 0);
            }
          }
          assert.ok(repeats >= 4, `the memo answered some (${repeats}): it was in play`);
        } finally {
          pool.close();
          await knot.stop();
        }
      },
    });
  }
}
