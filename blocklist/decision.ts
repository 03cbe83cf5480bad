/**
 * What the blocklist decides for a name, whichever store holds the lists: blocked by an entry
 * of a list, allowed by an entry (an allow entry wins over any deny entry), or neither. The
 * rule travels with the decision so the answer (EDE 15), the query log and `check` can say
 * which entry of which list it was.
 */

/** The entry that decided, and the list it came from. */
export interface Rule {
  /** The list's name: from the settings, or "custom" for entries added through the admin API. */
  list: string;
  /** The entry as held: "example.com" (the name and every subdomain) or "*.example.com". */
  entry: string;
}

export type Decision =
  | { verdict: "blocked"; rule: Rule }
  | { verdict: "allowed"; rule: Rule }
  | { verdict: "none" };

export const NO_DECISION: Decision = Object.freeze({ verdict: "none" });

/** "hagezi-pro: ads.example.com", for logs and the extended error's text. */
export function describeRule(rule: Rule): string {
  return `${rule.list}: ${rule.entry}`;
}

/** The name of the list admin edits go to; no configured list may take it. */
export const CUSTOM_LIST = "custom";
