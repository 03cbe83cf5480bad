/**
 * One Adblock-style line of a list (`||...`, `@@...`, `/regex/`), read with AdGuard's own parser
 * (`@adguard/agtree`), into what the stores hold: a plain name for the fingerprint sets, a rule
 * they cannot hold (list_rule.ts), a rule skipped on purpose, or the reason it is invalid. Only
 * lines off the parser's fast path come here (parse.ts), so the library is not paid for the
 * plain names that make up most lists.
 *
 * What is honoured, as AdGuard's DNS filtering syntax says: `/regex/` (RE2 syntax, run by a
 * linear-time engine), `$important`, `$badfilter`, `$denyallow`, `$dnstype`, `$client` and the
 * simple forms of `$dnsrewrite`. A rule with a modifier that only means something to a browser
 * (`$third-party`, `$script`, `$domain=`...) is skipped and its kinds are named, so the load report
 * can count them; any other modifier makes the line invalid.
 */
import { type Modifier, RuleParser } from "@adguard/agtree";
import { RE2JS } from "re2js";
import { parseTypeName } from "../dns/mod.ts";
import { isIpLiteral, normalizeDomain } from "../dns/domain_entry.ts";
import { parseCidr } from "../net/cidr.ts";
import { badfilterKey, type ListRule, type Rewrite } from "./list_rule.ts";

export type RuleLine =
  | { kind: "name"; allow: boolean; name: string }
  | { kind: "rule"; rule: ListRule }
  | { kind: "skip"; modifiers: string[] }
  | { kind: "invalid"; reason: string };

/** Regexes longer than this are refused: a list is not a place for programs. */
export const MAX_REGEX_CHARS = 1024;

/** Modifiers of network rules that only a browser can honour: such rules are skipped. */
const BROWSER_ONLY = new Set(
  [
    "1p 3p all app cookie csp content css doc document domain ehide elemhide empty extension",
    "first-party font frame from generichide genericblock ghide header hls image inline-font",
    "inline-script jsinject jsonprune match-case media method mp4 network object",
    "object-subrequest other permissions ping popunder popup redirect redirect-rule",
    "referrerpolicy removeheader removeparam replace rewrite script shide specifichide stealth",
    "strict-first-party strict-third-party stylesheet subdocument third-party to urlblock",
    "webrtc websocket xhr xmlhttprequest",
  ].join(" ").split(" "),
);

const RCODES = new Set(["NXDOMAIN", "REFUSED", "SERVFAIL", "NOERROR"]);

const PARSER_OPTIONS = { isLocIncluded: false, includeRaws: false, parseHostRules: false };

/**
 * Reads one trimmed Adblock-style line. Never throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRuleLine } from "./rule_parse.ts";
 *
 * assert.deepEqual(parseRuleLine("@@||a.example^"), { kind: "name", allow: true, name: "a.example" });
 * assert.equal(parseRuleLine("/^ad[0-9]+\\./").kind, "rule");
 * assert.deepEqual(parseRuleLine("||a.example^$script"), { kind: "skip", modifiers: ["script"] });
 * ```
 */
export function parseRuleLine(line: string): RuleLine {
  let parsed;
  try {
    parsed = RuleParser.parse(line, PARSER_OPTIONS);
  } catch (error) {
    return invalid(`not a rule: ${(error as Error).message}`);
  }
  if (parsed.category !== "Network" || parsed.type !== "NetworkRule") {
    return invalid(
      parsed.category === "Cosmetic" ? "a cosmetic rule, not a domain rule" : "not a domain rule",
    );
  }
  const allow = parsed.exception === true;
  const pattern = parsed.pattern.value;
  const target = patternTarget(pattern);
  if (typeof target === "string") return invalid(target);
  const modifiers = parsed.modifiers?.children ?? [];
  if (modifiers.length === 0 && target.name !== undefined) {
    return { kind: "name", allow, name: target.name };
  }
  const rule: ListRule = { text: line, key: "", allow, ...target };
  const written: string[] = [];
  const browser: string[] = [];
  for (const modifier of modifiers) {
    const name = modifier.name.value.toLowerCase();
    if (BROWSER_ONLY.has(name)) {
      if (!browser.includes(name)) browser.push(name);
      continue;
    }
    const problem = applyModifier(rule, name, modifier);
    if (problem !== undefined) return invalid(problem);
    if (name !== "badfilter") written.push(modifierText(modifier));
  }
  if (browser.length > 0) return { kind: "skip", modifiers: browser };
  if (rule.rewrite !== undefined && allow) {
    return invalid("an exception with $dnsrewrite, not supported");
  }
  if (rule.badfilter && (rule.name === undefined || written.length > 0)) delete rule.name;
  rule.key = badfilterKey(allow, pattern, written);
  return { kind: "rule", rule };
}

function invalid(reason: string): RuleLine {
  return { kind: "invalid", reason };
}

/** The name or regex a pattern stands for, or why it stands for neither. */
function patternTarget(
  pattern: string,
): { name: string; regex?: undefined } | { regex: string; name?: undefined } | string {
  if (pattern.length > 2 && pattern.startsWith("/") && pattern.endsWith("/")) {
    const source = pattern.slice(1, -1);
    if (source.length > MAX_REGEX_CHARS) {
      return `a regular expression longer than ${MAX_REGEX_CHARS} characters`;
    }
    try {
      RE2JS.compile(source);
    } catch (error) {
      return `a regular expression RE2 cannot run: ${(error as Error).message}`;
    }
    return { regex: source };
  }
  if (!pattern.startsWith("||")) {
    return pattern.startsWith("|")
      ? "an exact-address rule (|\u2026), not supported"
      : "not a domain rule";
  }
  let body = pattern.slice(2);
  if (body.endsWith("^|")) body = body.slice(0, -2);
  else if (body.endsWith("^") || body.endsWith("|")) body = body.slice(0, -1);
  if (body.includes("/")) return "a rule with a path, not a domain rule";
  if (body.includes("^") || body.includes("|")) return "a pattern, not a domain rule";
  const normal = normalizeDomain(body);
  return "reason" in normal ? normal.reason : { name: normal.name };
}

/** `~name=value` as written, for the rule's key. */
function modifierText(modifier: Modifier): string {
  const value = modifier.value?.value;
  return `${modifier.exception ? "~" : ""}${modifier.name.value}${
    value === undefined ? "" : `=${value}`
  }`;
}

/** Sets what one modifier says on `rule`; the reason when it cannot. */
function applyModifier(rule: ListRule, name: string, modifier: Modifier): string | undefined {
  const value = modifier.value?.value;
  if (modifier.exception) return `$~${name} is not supported`;
  switch (name) {
    case "important":
    case "badfilter":
      if (value !== undefined) return `$${name} takes no value`;
      rule[name] = true;
      return undefined;
    case "denyallow":
      return value === undefined ? "$denyallow needs domains" : denyallow(rule, value);
    case "dnstype":
      return value === undefined ? "$dnstype needs types" : dnstypes(rule, value);
    case "client":
      return value === undefined ? "$client needs clients" : clients(rule, value);
    case "dnsrewrite": {
      const rewrite = value === undefined ? undefined : parseRewrite(value);
      if (rewrite === undefined) return `unsupported $dnsrewrite form: ${value ?? "(none)"}`;
      rule.rewrite = rewrite;
      return undefined;
    }
    default:
      return `unsupported modifier $${name.slice(0, 40)}`;
  }
}

function denyallow(rule: ListRule, value: string): string | undefined {
  const names: string[] = [];
  for (const part of value.split("|")) {
    const normal = normalizeDomain(part);
    if ("reason" in normal) return `$denyallow: ${part}: ${normal.reason}`;
    names.push(normal.name);
  }
  rule.denyallow = names;
  return undefined;
}

function dnstypes(rule: ListRule, value: string): string | undefined {
  for (const part of value.split("|")) {
    const negated = part.startsWith("~");
    const type = parseTypeName(negated ? part.slice(1) : part);
    if (type === undefined) return `$dnstype: ${part}: not a record type`;
    (negated ? (rule.notTypes ??= []) : (rule.types ??= [])).push(type);
  }
  return undefined;
}

/** `$client=` values, `|`-separated; a name may be quoted ('...' or "...", with `\` escapes). */
function clients(rule: ListRule, value: string): string | undefined {
  for (const part of splitClients(value)) {
    const negated = part.startsWith("~");
    let client = (negated ? part.slice(1) : part).trim();
    const quote = client[0];
    if ((quote === "'" || quote === '"') && client.endsWith(quote) && client.length >= 2) {
      client = client.slice(1, -1).replace(/\\(.)/g, "$1");
    } else if (client.includes("/") && parseCidr(client) === undefined) {
      return `$client: ${client}: not an address range`;
    }
    if (client === "") return "$client: an empty client";
    (negated ? (rule.notClients ??= []) : (rule.clients ??= [])).push(client.toLowerCase());
  }
  return undefined;
}

/** Splits on `|` outside quotes. */
function splitClients(value: string): string[] {
  const parts: string[] = [];
  let quote = "";
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === "\\") i++;
    else if (quote !== "") {
      if (c === quote) quote = "";
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "|") {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts;
}

/**
 * `$dnsrewrite`'s simple forms: an address, an rcode keyword, a name (a CNAME), and the long
 * forms `NOERROR;A;<v4>`, `NOERROR;AAAA;<v6>`, `NOERROR;CNAME;<name>`, `<rcode>;;`.
 */
function parseRewrite(value: string): Rewrite | undefined {
  const parts = value.split(";");
  if (parts.length === 3) {
    const [rcode, type, data] = [parts[0].toUpperCase(), parts[1].toUpperCase(), parts[2]];
    if (type === "" && data === "" && RCODES.has(rcode)) return rcodeRewrite(rcode);
    if (rcode !== "NOERROR") return undefined;
    const short = shortRewrite(data);
    if (short === undefined || short.kind === "rcode") return undefined;
    const kind = short.kind === "cname" ? "CNAME" : short.type;
    return kind === type ? short : undefined;
  }
  return parts.length === 1 ? shortRewrite(value) : undefined;
}

function shortRewrite(value: string): Rewrite | undefined {
  const upper = value.toUpperCase();
  if (RCODES.has(upper)) return rcodeRewrite(upper);
  if (isIpLiteral(value) && !value.includes("%")) {
    return { kind: "address", address: value, type: value.includes(":") ? "AAAA" : "A" };
  }
  const normal = normalizeDomain(value);
  if ("reason" in normal || normal.name.startsWith("*.")) return undefined;
  return { kind: "cname", target: normal.name };
}

function rcodeRewrite(rcode: string): Rewrite {
  return { kind: "rcode", rcode: rcode as "NXDOMAIN" | "REFUSED" | "SERVFAIL" | "NOERROR" };
}
