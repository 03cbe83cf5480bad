/**
 * A real Resolver whose last stage answers from a small table instead of an upstream, for
 * route and pipeline tests that are about the HTTP door or the pipeline, not forwarding.
 */
import { RClass, Rcode, type ResourceRecord, RType } from "../../dns/mod.ts";
import { createQueryLog, type QueryLog } from "../../observe/query_log.ts";
import { replyAnswer } from "../../pipeline/answer_builders.ts";
import type { AnswerMemo } from "../../pipeline/answer_memo.ts";
import { guardStage } from "../../pipeline/guard.ts";
import type { ClientDirectory } from "../../pipeline/profile.ts";
import { Resolver } from "../../pipeline/resolver.ts";
import type { Stage } from "../../pipeline/types.ts";

/** Answers A queries for names in `table`; NXDOMAIN with an SOA otherwise; SERVFAIL for "fail.test". */
export function tableStage(table: Record<string, string[]>, ttl = 300): Stage {
  return (ctx) => {
    const { name, type } = ctx.question;
    if (name === "fail.test") {
      return Promise.resolve(replyAnswer(ctx.query, { rcode: Rcode.SERVFAIL }, "upstream"));
    }
    const addresses = table[name];
    if (addresses === undefined) {
      const soa: ResourceRecord = {
        name: "test",
        type: RType.SOA,
        class: RClass.IN,
        ttl: 900,
        data: {
          mname: "ns.test",
          rname: "admin.test",
          serial: 1,
          refresh: 3600,
          retry: 600,
          expire: 86400,
          minimum: 60,
        },
      };
      return Promise.resolve(
        replyAnswer(ctx.query, { rcode: Rcode.NXDOMAIN, authorities: [soa] }, "upstream"),
      );
    }
    const answers: ResourceRecord[] = type === RType.A
      ? addresses.map((address) => ({
        name,
        type: RType.A,
        class: RClass.IN,
        ttl,
        data: { address },
      }))
      : [];
    return Promise.resolve(replyAnswer(ctx.query, { answers }, "upstream"));
  };
}

export function localResolver(
  table: Record<string, string[]>,
  options: {
    extraStages?: Stage[];
    queryTimeoutMs?: number;
    log?: QueryLog;
    directory?: ClientDirectory;
    memo?: AnswerMemo;
  } = {},
): Resolver {
  return new Resolver({
    stages: [guardStage, ...(options.extraStages ?? []), tableStage(table)],
    queryTimeoutMs: options.queryTimeoutMs ?? 1000,
    log: options.log ?? createQueryLog({ toStdout: false, capacity: 100 }),
    directory: options.directory,
    memo: options.memo,
  });
}
