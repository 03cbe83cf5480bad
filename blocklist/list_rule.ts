/**
 * A list rule that a fingerprint set cannot hold (AdGuard DNS filtering syntax): a `/regex/`, or
 * a `||name^` with modifiers that change what it applies to or what it answers. Plain data, so a
 * list's rules travel as one JSON value (the Redis store keeps them so) and every store compiles
 * them into its own matcher (rule_book.ts). Parsed by rule_parse.ts.
 */

/**
 * What a rule may ask of a query besides its name: its type (`$dnstype`) and who asked
 * (`$client`). A `QueryContext` is one, so the stage passes its context and allocates nothing.
 */
export interface RuleQuery {
  readonly question: { readonly type: number };
  readonly client: { readonly address: string; readonly clientId?: string };
  readonly identity: { readonly name?: string; readonly clientId?: string };
}

/** What a `$dnsrewrite` answers instead of the block answer (its simple forms). */
export type Rewrite =
  | { kind: "address"; address: string; type: "A" | "AAAA" }
  | { kind: "rcode"; rcode: "NXDOMAIN" | "REFUSED" | "SERVFAIL" | "NOERROR" }
  | { kind: "cname"; target: string };

export interface ListRule {
  /** The line as written (trimmed): what EDE 15, the query log and the "why" box name. */
  text: string;
  /** `badfilterKey` of the rule: a `$badfilter` rule with the same key disables it. */
  key: string;
  /** `@@`: an exception. */
  allow: boolean;
  /** A canonical name ("x.example", "*.x.example") with its subdomains, or a regex's source. */
  name?: string;
  regex?: string;
  /** `$important`: beats exceptions that are not important. */
  important?: boolean;
  /**
   * `$badfilter`: not a rule, but the key of the rule it disables (in `key`); with `name` and no
   * other modifier it also disables that plain entry in every list.
   */
  badfilter?: boolean;
  /** `$denyallow=`: canonical names (and their subdomains) the rule does not apply to. */
  denyallow?: string[];
  /** `$dnstype=`: the types it applies to only, and those it does not apply to. */
  types?: number[];
  notTypes?: number[];
  /** `$client=`: ClientIDs, client names (lowercase) or CIDRs; and the `~` ones it skips. */
  clients?: string[];
  notClients?: string[];
  /** `$dnsrewrite=`: the answer to give instead of the block answer. */
  rewrite?: Rewrite;
}

/**
 * The same text for the same rule whatever the order of its modifiers, so that a `$badfilter`
 * rule finds the rule it disables: `@@` or not, the pattern, then the modifiers sorted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { badfilterKey } from "./list_rule.ts";
 *
 * assert.equal(badfilterKey(false, "||a.example^", ["dnstype=A", "important"]),
 *   badfilterKey(false, "||a.example^", ["important", "dnstype=A"]));
 * ```
 */
export function badfilterKey(allow: boolean, pattern: string, modifiers: string[]): string {
  const sorted = modifiers.map((modifier) => modifier.toLowerCase()).sort();
  return `${allow ? "@@" : ""}${pattern.toLowerCase()}${sorted.length ? "$" : ""}${
    sorted.join(",")
  }`;
}
