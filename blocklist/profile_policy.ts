/**
 * What the blocklist stage makes of a profile (pipeline/profile.ts), once per profile object
 * and on its first query: which lists count (a `ListFilter`), its own entries as small
 * fingerprint sets, and its block answer. A reloaded profile is a new object and is made
 * afresh; one no longer used goes with it (a WeakMap holds them).
 *
 * A filter is a view over the lists the store holds, never a copy of them, so a hundred
 * profiles over the same lists cost a hundred small sets of names. The custom list (admin
 * edits) applies whatever the filter says.
 */
import type { Profile } from "../pipeline/profile.ts";
import { BLOCK_RESPONSES, type BlockAnswerOptions, type BlockResponse } from "./block_answer.ts";
import { CUSTOM_LIST, type Decision, PROFILE_ENTRIES } from "./decision.ts";
import { DomainSet } from "./domain_set.ts";
import { NameProbe } from "./name_probe.ts";

/** Reused by `ownDecision`: deciding is synchronous, so no two overlap. */
const probe = new NameProbe();

export interface ListFilter {
  /** The lists whose block entries count, by name; undefined: every list. */
  readonly block?: ReadonlySet<string>;
  /** The lists whose allow entries count, by name; undefined: every list. */
  readonly allow?: ReadonlySet<string>;
  /** The same text for the same choice: what decisions kept per filter are keyed with. */
  readonly key: string;
}

/**
 * The filter a profile's `blocklists` and `allowlists` make; undefined when it takes every
 * list of both kinds (the default profile), which the stores answer on their fast path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plainProfile } from "../pipeline/profile.ts";
 * import { listFilter } from "./profile_policy.ts";
 *
 * assert.equal(listFilter(plainProfile()), undefined, "every list");
 * const kids = listFilter({ ...plainProfile("kids"), blocklists: ["hagezi-pro", "ads"] });
 * assert.equal(kids?.block?.has("ads"), true);
 * assert.equal(kids?.allow, undefined, "every allowlist");
 * assert.equal(kids?.key, "block=ads,hagezi-pro;allow=*");
 * ```
 */
export function listFilter(profile: Profile): ListFilter | undefined {
  const { blocklists, allowlists } = profile;
  if (blocklists === undefined && allowlists === undefined) return undefined;
  const names = (lists: readonly string[] | undefined) =>
    lists === undefined ? "*" : [...new Set(lists)].sort().join(",");
  return {
    ...(blocklists === undefined ? {} : { block: new Set(blocklists) }),
    ...(allowlists === undefined ? {} : { allow: new Set(allowlists) }),
    key: `block=${names(blocklists)};allow=${names(allowlists)}`,
  };
}

/**
 * Whether a list's block entries count under `filter`: always for the custom list and without
 * a filter.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { takesBlocks } from "./profile_policy.ts";
 *
 * const filter = { block: new Set(["ads"]), key: "block=ads;allow=*" };
 * assert.equal(takesBlocks(filter, "ads"), true);
 * assert.equal(takesBlocks(filter, "social"), false);
 * assert.equal(takesBlocks(filter, "custom"), true, "admin edits apply to every profile");
 * ```
 */
export function takesBlocks(filter: ListFilter | undefined, list: string): boolean {
  const names = filter?.block;
  return names === undefined || list === CUSTOM_LIST || names.has(list);
}

/**
 * Whether a list's allow entries count under `filter`: those of an allowlist it takes, and a
 * block list's own exceptions (`@@` entries) whenever its block entries count, since they are
 * part of what the list blocks. `hasBlocks`: the list has block entries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { takesAllows } from "./profile_policy.ts";
 *
 * const filter = { allow: new Set(["fixes"]), key: "block=*;allow=fixes" };
 * assert.equal(takesAllows(filter, "fixes", false), true);
 * assert.equal(takesAllows(filter, "other-fixes", false), false, "an allowlist not taken");
 * assert.equal(takesAllows(filter, "oisd", true), true, "a block list's own exceptions");
 * assert.equal(takesAllows(undefined, "other-fixes", false), true, "no filter: every list");
 * ```
 */
export function takesAllows(
  filter: ListFilter | undefined,
  list: string,
  hasBlocks: boolean,
): boolean {
  const names = filter?.allow;
  return names === undefined || list === CUSTOM_LIST || names.has(list) ||
    (hasBlocks && takesBlocks(filter, list));
}

export interface ProfilePolicy {
  /** The lists that count; undefined: every one. */
  readonly filter: ListFilter | undefined;
  /** The profile's own allow and block entries; undefined when it has none. */
  readonly own: { allow: DomainSet; block: DomainSet } | undefined;
  /** The block answer: the profile's response, or the global one. */
  readonly answer: BlockAnswerOptions;
  /** Tells built block answers of different profiles and responses apart. */
  readonly answerKey: string;
}

/** Policies by profile, the last one asked kept at hand: one profile asks nearly every time. */
export class ProfilePolicies {
  readonly #made = new WeakMap<Profile, ProfilePolicy>();
  readonly #answer: BlockAnswerOptions;
  #lastProfile: Profile | undefined;
  #last: ProfilePolicy | undefined;

  /** `answer`: BLOCK_RESPONSE and BLOCK_TTL, for profiles that do not say otherwise. */
  constructor(answer: BlockAnswerOptions) {
    this.#answer = answer;
  }

  of(profile: Profile): ProfilePolicy {
    if (profile === this.#lastProfile) return this.#last!;
    let policy = this.#made.get(profile);
    if (policy === undefined) {
      policy = makePolicy(profile, this.#answer);
      this.#made.set(profile, policy);
    }
    this.#lastProfile = profile;
    this.#last = policy;
    return policy;
  }
}

/**
 * The profile's own decision for a canonical name, which comes before any list's: its allow
 * entries, then its block entries; undefined when neither holds the name.
 */
export function ownDecision(policy: ProfilePolicy, name: string): Decision | undefined {
  const own = policy.own;
  if (own === undefined) return undefined;
  probe.load(name);
  const allowed = own.allow.match(probe);
  if (allowed !== undefined) {
    return { verdict: "allowed", rule: { list: PROFILE_ENTRIES, entry: allowed } };
  }
  const blocked = own.block.match(probe);
  if (blocked !== undefined) {
    return { verdict: "blocked", rule: { list: PROFILE_ENTRIES, entry: blocked } };
  }
  return undefined;
}

function makePolicy(profile: Profile, global: BlockAnswerOptions): ProfilePolicy {
  const response = isBlockResponse(profile.blockResponse) ? profile.blockResponse : global.response;
  const hasOwn = profile.allow.length > 0 || profile.block.length > 0;
  const compiled = (entries: readonly string[]) =>
    entries.length === 0 ? DomainSet.EMPTY : DomainSet.from(entries.map((e) => e.toLowerCase()));
  return {
    filter: listFilter(profile),
    own: hasOwn
      ? {
        allow: compiled(profile.allow),
        block: compiled(profile.block),
      }
      : undefined,
    answer: { ...global, response, profile: profile.name },
    answerKey: `${profile.name}|${response}`,
  };
}

/** An unknown response (the directory checks them) leaves BLOCK_RESPONSE in force. */
function isBlockResponse(value: string | undefined): value is BlockResponse {
  return (BLOCK_RESPONSES as readonly (string | undefined)[]).includes(value);
}
