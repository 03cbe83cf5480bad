/**
 * `GET /admin/why?name=&type=A[&client=]`: how the gateway would answer a name, stage by stage,
 * without asking it (nothing is counted or cached): whether the records file answers it, what
 * the blocklist decides and by which rule (under the profile `client` names: a profile, a
 * client's name or a ClientID), safe search, and whether the cache holds an answer and for how
 * long yet. The dashboard's "why" box uses it. A rule with modifiers or a regex is decided for
 * the type asked and the client `client` names, and its summary says what kind of rule it is.
 */
import { Hono } from "hono";
import type { Blocklist } from "../blocklist/blocklist.ts";
import { normalizeDomain } from "../dns/domain_entry.ts";
import { type Decision, REBINDING, type Rule } from "../blocklist/decision.ts";
import type { RuleQuery } from "../blocklist/list_rule.ts";
import { ownDecision, ProfilePolicies } from "../blocklist/profile_policy.ts";
import {
  answerAddressesOf,
  type BlocklistStageOptions,
  cnameTargets,
  rebindingRule,
} from "../blocklist/stage.ts";
import { answerFromBytes } from "../pipeline/answer_builders.ts";
import type { Answer } from "../pipeline/types.ts";
import { safeEndpoint } from "../blocklist/safe_endpoints.ts";
import type { Profile } from "../pipeline/profile.ts";
import type { AnswerCache } from "../cache/answer_cache.ts";
import { parseTypeName, presentName, presentRdata, RClass, Rcode, typeName } from "../dns/mod.ts";
import { lookup } from "../records/lookup.ts";
import type { RecordStore } from "../records/store.ts";
import type { AppEnv } from "./client_address.ts";
import { reason } from "./reason.ts";

export interface WhyDeps {
  records?: { readonly current: RecordStore };
  blocklist?: Pick<Blocklist, "decide" | "addressRules">;
  /** Rebinding protection as the blocklist stage applies it; absent: off. */
  rebinding?: BlocklistStageOptions["rebinding"];
  cache?: Pick<AnswerCache, "peek">;
  /** The profile a profile name, a client's name or a ClientID names (`client=`); none: no profiles. */
  profileFor?: (who: string) => Profile | undefined;
}

export interface Explanation {
  name: string;
  type: string;
  /** The profile it was explained under, when one was asked for. */
  profile?: string;
  /** One line a person reads: what would happen and why. */
  summary: string;
  /** The local answer (rcode and records as text), when the records file speaks for the name. */
  local?: { rcode: string; answers: string[] } | null;
  blocklist?: Decision;
  cache?: { remaining: number; lifetime: number; hits: number } | null;
  /** The CNAME (or DNAME) target of the cached answer that the blocklist blocks, if any. */
  cname?: { target: string; rule: Decision & { verdict: "blocked" } };
  /**
   * The address of the cached answer that an IP entry blocks, or rebinding protection refuses
   * (the rule's list is then "rebinding"), if any.
   */
  address?: { address: string; rule: Rule };
}

export async function explain(
  deps: WhyDeps,
  name: string,
  type: number,
  profile?: Profile,
  who?: string,
): Promise<Explanation> {
  const found = deps.records && lookup(deps.records.current, name, type);
  const local = found && {
    rcode: found.rcode === Rcode.NXDOMAIN ? "NXDOMAIN" : "NOERROR",
    answers: found.answers.map((record) =>
      `${presentName(record.name)} ${record.ttl} ${typeName(record.type)} ${
        presentRdata(record.type, record.data)
      }`
    ),
  };
  // The client named by `who` (a ClientID or a client's name), asking for this type.
  const query: RuleQuery = {
    question: { type },
    client: { address: "", clientId: who },
    identity: { name: who },
  };
  const decision = await decide(deps, name, profile, query);
  const safe = profile?.safeSearch ? safeEndpoint(name) : undefined;
  // The key of a plain query (no DO, no CD bit), as most clients send.
  const peeked = deps.cache?.peek(`${name}|${type}|${RClass.IN}|00`);
  const cached = peeked
    ? { remaining: peeked.remaining, lifetime: peeked.lifetime, hits: peeked.hits }
    : null;
  // What the blocklist stage checks of a cached answer (its addresses, then CNAME cloaking),
  // decided the same way.
  const inspect = !local && decision?.verdict !== "blocked" && peeked && peeked.remaining > 0;
  const answer = inspect ? answerFromBytes(peeked.bytes, "cache") : undefined;
  const address = answer && refusedAddress(deps, answer, name, decision, profile);
  const cname = answer && address === undefined && decision?.verdict !== "allowed"
    ? await blockedTarget(deps, answer, profile, query)
    : undefined;
  let summary: string;
  if (local) {
    summary = `answered locally from the records file (${local.rcode}` +
      (local.answers.length > 0 ? `: ${local.answers.length} records)` : ")");
  } else if (decision?.verdict === "blocked") {
    summary = `${decision.rule.rewrite ? "rewritten" : "blocked"} by ${decision.rule.list}: ` +
      `${decision.rule.entry}${ruleKind(decision.rule)}`;
  } else if (address !== undefined) {
    const { list, entry } = address.rule;
    summary = `blocked: its cached answer holds ${address.address}, ` +
      (list === REBINDING
        ? `a private address (rebinding protection: ${entry})`
        : `blocked by ${list}: ${entry}`);
  } else if (cname !== undefined) {
    summary = `blocked: its cached answer is an alias of ${cname.target}, blocked by ` +
      `${cname.rule.rule.list}: ${cname.rule.rule.entry}`;
  } else if (safe !== undefined) {
    summary = `answered by safe search with ${safe} and its records`;
  } else if (cached && cached.remaining > 0) {
    summary = `answered from the cache (${cached.remaining} s of ${cached.lifetime} s left)`;
  } else {
    summary = "asked upstream";
  }
  if (!local && decision?.verdict === "allowed") {
    summary += ` (allowed by ${decision.rule.list}: ${decision.rule.entry}${
      ruleKind(decision.rule)
    })`;
  }
  if (profile !== undefined) summary = `for profile ${profile.name}: ${summary}`;
  return {
    name,
    type: typeName(type),
    ...(profile === undefined ? {} : { profile: profile.name }),
    summary,
    ...(deps.records ? { local: local ?? null } : {}),
    blocklist: decision,
    cache: cached,
    ...(cname === undefined ? {} : { cname }),
    ...(address === undefined ? {} : { address }),
  };
}

/**
 * The first address of `answer` an IP entry blocks under `profile` (not for a name allowed
 * outright), or rebinding protection refuses for `name`, as the stage finds it.
 */
function refusedAddress(
  deps: WhyDeps,
  answer: Answer,
  name: string,
  decision: Decision | undefined,
  profile: Profile | undefined,
): Explanation["address"] {
  const addresses = answerAddressesOf(answer);
  if (decision?.verdict !== "allowed") {
    const filter = profile && explainPolicies.of(profile).filter;
    const decided = deps.blocklist?.addressRules?.decide(addresses, filter);
    if (decided?.verdict === "blocked") {
      return { address: decided.rule.answer!, rule: decided.rule };
    }
  }
  const rule = deps.rebinding && rebindingRule(name, addresses, deps.rebinding.exempt);
  return rule && { address: rule.answer!, rule };
}

/**
 * What kind of rule decided, when it is not a plain entry: ", a regular expression", or the
 * modifiers it was written with and what a rewrite answers.
 */
function ruleKind(rule: Rule): string {
  const entry = rule.entry;
  const rewrite = rule.rewrite;
  const answers = rewrite === undefined
    ? ""
    : `; it answers ${
      rewrite.kind === "address"
        ? rewrite.address
        : rewrite.kind === "rcode"
        ? rewrite.rcode
        : `a CNAME to ${rewrite.target}`
    }`;
  const regex = /^(?:@@)?\/.*\/(?:\$|$)/.test(entry) ? "a regular expression" : "";
  const dollar = entry.lastIndexOf("$");
  const modifiers = dollar === -1 || entry.endsWith("/")
    ? []
    : entry.slice(dollar + 1).split(",").map((m) => `$${m.split("=")[0]}`);
  const kinds = [regex, modifiers.length ? `a rule with ${modifiers.join(", ")}` : ""]
    .filter((kind) => kind !== "");
  return kinds.length === 0 ? answers : ` (${kinds.join(", ")}${answers})`;
}

/** The decision under `profile` (its own entries first, then the lists it takes), as the stage. */
async function decide(
  deps: WhyDeps,
  name: string,
  profile: Profile | undefined,
  query: RuleQuery,
): Promise<Decision | undefined> {
  if (deps.blocklist === undefined) return undefined;
  if (profile === undefined) return await deps.blocklist.decide(name, undefined, query);
  const policy = explainPolicies.of(profile);
  return ownDecision(policy, name) ?? await deps.blocklist.decide(name, policy.filter, query);
}

/** The first target of `answer` that the blocklist blocks under `profile`, as the stage finds it. */
async function blockedTarget(
  deps: WhyDeps,
  answer: Answer,
  profile: Profile | undefined,
  query: RuleQuery,
): Promise<Explanation["cname"]> {
  for (const target of cnameTargets(answer)) {
    const decided = await decide(deps, target, profile, query);
    if (decided?.verdict === "blocked") return { target, rule: decided };
  }
  return undefined;
}

/** Only the lists and entries of a policy are read here, never its block answer. */
const explainPolicies = new ProfilePolicies({ response: "nxdomain", ttl: 0 });

/**
 * `explain` for a name and type as a person typed them, under the profile `who` names (a
 * profile, a client's name or a ClientID) when given; or one line saying what is wrong.
 */
export async function explainGiven(
  deps: WhyDeps,
  given: string,
  typeText = "A",
  who?: string,
): Promise<Explanation | { error: string }> {
  const normal = normalizeDomain(given);
  if ("reason" in normal) return { error: `name "${given}": ${normal.reason}` };
  const type = parseTypeName(typeText);
  if (type === undefined) return { error: `type "${typeText}": not a record type` };
  let profile: Profile | undefined;
  if (who !== undefined && who.trim() !== "") {
    profile = deps.profileFor?.(who.trim());
    if (profile === undefined) return { error: `no profile, client or ClientID "${who}"` };
  }
  return await explain(deps, normal.name, type, profile, who?.trim() || undefined);
}

export function adminWhyRoutes(deps: WhyDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/", async (c) => {
    const given = c.req.query("name");
    if (given === undefined) return reason(400, "missing name parameter");
    const explained = await explainGiven(deps, given, c.req.query("type"), c.req.query("client"));
    if ("error" in explained) return reason(400, explained.error);
    return c.json(explained);
  });
  return routes;
}
