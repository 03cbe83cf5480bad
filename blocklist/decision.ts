/**
 * What the blocklist decides for a name, whichever store holds the lists: blocked by an entry
 * of a list, allowed by an entry (an allow entry wins over any deny entry), or neither. The
 * rule travels with the decision so the answer (EDE 15), the query log and `check` can say
 * which entry of which list it was.
 *
 * Under a profile (pipeline/profile.ts) the order is, first match deciding: the profile's own
 * allow entries, its own block entries, the allow entries of the lists it takes (its allowlists,
 * and the exceptions of its block lists), the block entries of its block lists. A profile's own word beats any list's (as AdGuard Home ranks a client's own rules),
 * and its own allow entry beats its own block entry, so "block example.com, allow
 * www.example.com" reads as it is meant.
 */
import { DEFAULT_PROFILE } from "../pipeline/profile.ts";
import type { Rewrite } from "./list_rule.ts";

/** The entry that decided, and the list it came from. */
export interface Rule {
  /** The list's name: from the settings, or "custom" for entries added through the admin API. */
  list: string;
  /**
   * The entry as held: "example.com" (the name and every subdomain) or "*.example.com"; for a
   * rule with modifiers or a regex (list_rule.ts), the rule as written.
   */
  entry: string;
  /** What a `$dnsrewrite` rule answers instead of the block answer. */
  rewrite?: Rewrite;
  /** The CNAME (or DNAME) target it matched, when the answer led there, not the question. */
  via?: string;
  /** The answer's address it matched (an IP entry, or a range rebinding protection refuses). */
  answer?: string;
}

export type Decision =
  | { verdict: "blocked"; rule: Rule }
  | { verdict: "allowed"; rule: Rule }
  | { verdict: "none" };

export const NO_DECISION: Decision = Object.freeze({ verdict: "none" });

/**
 * "hagezi-pro: ads.example.com", for logs and the extended error's text; under a profile other
 * than "default", its name first: "kids: hagezi-pro: ads.example.com" (so users without
 * profiles read what they always read).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeRule } from "./decision.ts";
 *
 * const rule = { list: "hagezi-pro", entry: "ads.example.com" };
 * assert.equal(describeRule(rule), "hagezi-pro: ads.example.com");
 * assert.equal(describeRule(rule, "default"), "hagezi-pro: ads.example.com");
 * assert.equal(describeRule(rule, "kids"), "kids: hagezi-pro: ads.example.com");
 * const cloaked = { ...rule, via: "x.ads.example.com" };
 * assert.equal(describeRule(cloaked), "cname x.ads.example.com (hagezi-pro: ads.example.com)");
 * const address = { list: "bad-hosts", entry: "192.0.2.0/24", answer: "192.0.2.7" };
 * assert.equal(describeRule(address), "answer 192.0.2.7 (bad-hosts: 192.0.2.0/24)");
 * ```
 */
export function describeRule(rule: Rule, profile?: string): string {
  const entry = `${rule.list}: ${rule.entry}`;
  const said = rule.via !== undefined
    ? `cname ${rule.via} (${entry})`
    : rule.answer !== undefined
    ? `answer ${rule.answer} (${entry})`
    : entry;
  return profile === undefined || profile === DEFAULT_PROFILE ? said : `${profile}: ${said}`;
}

/** The name a profile's own entries go by in rules: "kids: profile: games.example". */
export const PROFILE_ENTRIES = "profile";

/** The name of the list admin edits go to; no configured list may take it. */
export const CUSTOM_LIST = "custom";

/**
 * The list name DNS rebinding protection's refusals go by (blocklist/stage.ts), the entry being
 * the private range: "answer 10.0.0.5 (rebinding: 10.0.0.0/8)".
 */
export const REBINDING = "rebinding";
