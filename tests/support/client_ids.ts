/**
 * Two profiles that answer one name differently (the doors' tests), a small directory over them, and a real
 * Resolver (with the answer memo) whose stage answers by the query's profile: for tests of how
 * doors know a client, not of how a profile's policy is made (that is clients/' and the stages').
 */
import { RClass, Rcode, RType } from "../../dns/mod.ts";
import { createQueryLog, type QueryLog } from "../../observe/query_log.ts";
import { replyAnswer } from "../../pipeline/answer_builders.ts";
import { AnswerMemo, reusableAnswer, WHILE_STATE_HOLDS } from "../../pipeline/answer_memo.ts";
import { guardStage } from "../../pipeline/guard.ts";
import {
  type ClientDirectory,
  type Identity,
  plainProfile,
  type Profile,
} from "../../pipeline/profile.ts";
import { Resolver } from "../../pipeline/resolver.ts";
import type { Stage } from "../../pipeline/types.ts";

export const KIDS: Profile = plainProfile("kids");
export const FAMILY: Profile = plainProfile("family");
/** The name `kids` blocks (NXDOMAIN) and every other profile answers with FAMILY_ADDRESS. */
export const SPLIT_NAME = "games.example";
export const FAMILY_ADDRESS = "192.0.2.80";

/** ClientIDs this directory knows: "kids-tablet" (kids) and "laptop" (family). */
export const CLIENTS: Record<string, Identity> = {
  "kids-tablet": { profile: KIDS, name: "Kids' tablet", clientId: "kids-tablet" },
  "laptop": { profile: FAMILY, name: "Laptop", clientId: "laptop" },
};

/**
 * A directory of CLIENTS; restricted, it knows no one else (CLIENTS_ONLY); else strangers get
 * `default`. `addresses` maps addresses to identities too (a CIDR map of one address each).
 */
export function testDirectory(
  restricted: boolean,
  addresses: Record<string, Identity> = {},
): ClientDirectory & { asked: number } {
  const stranger = restricted ? undefined : { profile: plainProfile() };
  return {
    version: 0,
    restricted,
    asked: 0,
    identify(clientId, address) {
      this.asked++;
      if (clientId !== undefined) return CLIENTS[clientId] ?? stranger;
      return addresses[address] ?? stranger;
    },
  };
}

/** Answers SPLIT_NAME by the profile (kids: NXDOMAIN), remembered while nothing moves. */
const byProfile: Stage = (ctx) => {
  if (ctx.identity.profile === KIDS) {
    return reusableAnswer(
      replyAnswer(ctx.query, { rcode: Rcode.NXDOMAIN }, "blocked"),
      WHILE_STATE_HOLDS,
    );
  }
  const answers = [{
    name: ctx.question.name,
    type: RType.A,
    class: RClass.IN,
    ttl: 300,
    data: { address: FAMILY_ADDRESS },
  }];
  return reusableAnswer(replyAnswer(ctx.query, { answers }, "local"), WHILE_STATE_HOLDS);
};

/** A real Resolver with the memo over `directory`, each call to it counted. */
export function profileResolver(directory?: ClientDirectory): {
  resolver: Resolver;
  log: QueryLog;
  calls: { resolve: number; repeat: number };
} {
  const log = createQueryLog({ toStdout: false, capacity: 100 });
  const resolver = new Resolver({
    stages: [guardStage, byProfile],
    queryTimeoutMs: 1000,
    log,
    memo: new AnswerMemo(),
    directory,
  });
  const calls = { resolve: 0, repeat: 0 };
  const resolve = resolver.resolve.bind(resolver);
  const repeat = resolver.repeat.bind(resolver);
  resolver.resolve = (...args) => (calls.resolve++, resolve(...args));
  resolver.repeat = (...args) => (calls.repeat++, repeat(...args));
  return { resolver, log, calls };
}
