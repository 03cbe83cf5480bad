/**
 * What a profiles document may say, checked field by field: the profiles file, the admin API
 * and the copy in Redis all go through here, so each says the same thing of the same mistake.
 * A mistake is a `PolicyError` naming where it is (the path of keys to the value), which the
 * file turns into `file:line:column`.
 *
 * The document, as YAML (or the same as JSON):
 *
 *     profiles:
 *       kids:
 *         blocklists: [hagezi-pro]     # by name; absent: every configured block list
 *         allowlists: []               # absent: every configured allowlist
 *         block: [tiktok.com]          # its own entries, list syntax
 *         allow: [school.example]
 *         block_response: nxdomain     # absent: BLOCK_RESPONSE
 *         safe_search: true
 *         upstreams: [tls://9.9.9.9]   # absent: UPSTREAMS
 *         log: hash                    # address | hash | off; absent: LOG_CLIENT
 *     clients:
 *       Kids' tablet:                  # its display name
 *         profile: kids
 *         ids: [kids-tablet]           # ClientIDs (DoH path, DoT server name)
 *         addresses: [192.168.1.23]    # addresses or CIDR ranges (every door)
 */
import { normalizeDomain } from "../dns/domain_entry.ts";
import { parseCidr } from "../net/cidr.ts";
import { CLIENT_ID, CLIENT_ID_RULE, type Profile } from "../pipeline/profile.ts";
import { parseUpstreamUrl } from "../upstream/url.ts";

/** A client: its display name, the profile it gets, and how it is known. */
export interface ClientSpec {
  readonly name: string;
  readonly profile: string;
  /** ClientIDs, lower-cased. */
  readonly ids: readonly string[];
  /** Addresses and CIDR ranges, as written. */
  readonly addresses: readonly string[];
}

/** Profiles and clients, each by its name. */
export interface PolicyDoc {
  readonly profiles: readonly Profile[];
  readonly clients: readonly ClientSpec[];
}

/** What the document is checked against: the lists configured, what this runtime can reach. */
export interface SpecContext {
  blocklists: readonly string[];
  allowlists: readonly string[];
  udpAvailable: boolean;
}

/** A mistake in a profiles document, and the path of keys to the value it is in. */
export class PolicyError extends Error {
  readonly path: readonly (string | number)[];
  /** The mistake is the last key of the path itself (an unknown key, a bad name). */
  readonly atKey: boolean;
  constructor(path: readonly (string | number)[], message: string, atKey = false) {
    super(message);
    this.name = "PolicyError";
    this.path = path;
    this.atKey = atKey;
  }
}

export const LIMITS = {
  profiles: 1000,
  clients: 100_000,
  /** A profile's own block and allow entries, each. */
  entries: 10_000,
  /** ClientIDs and addresses of one client, each. */
  perClient: 64,
  upstreams: 16,
  displayName: 100,
} as const;

/** A profile name: as a ClientID, so it can go in URLs and metric labels as it is. */
const PROFILE_NAME = /^[a-z0-9-]{1,63}$/;
const BLOCK_RESPONSES = ["nxdomain", "nodata", "null", "refused"];
const LOG_MODES = ["address", "hash", "off"];
const PROFILE_KEYS = [
  "blocklists",
  "allowlists",
  "block",
  "allow",
  "block_response",
  "safe_search",
  "upstreams",
  "log",
];
const CLIENT_KEYS = ["profile", "ids", "addresses"];

type Path = readonly (string | number)[];

/**
 * The document a parsed YAML or JSON value says, checked whole: every field, then what refers
 * to what (a client's profile exists; no ClientID or range belongs to two clients).
 */
export function checkPolicy(value: unknown, context: SpecContext): PolicyDoc {
  const top = record(value ?? {}, [], "the document");
  unknownKeys(top, ["profiles", "clients"], []);
  const profilesIn = record(top.profiles ?? {}, ["profiles"], "profiles");
  const clientsIn = record(top.clients ?? {}, ["clients"], "clients");
  const profileNames = Object.keys(profilesIn);
  const clientNames = Object.keys(clientsIn);
  if (profileNames.length > LIMITS.profiles) {
    throw new PolicyError(["profiles"], `at most ${LIMITS.profiles} profiles`);
  }
  if (clientNames.length > LIMITS.clients) {
    throw new PolicyError(["clients"], `at most ${LIMITS.clients} clients`);
  }
  const profiles = profileNames.map((name) =>
    checkProfile(name, profilesIn[name], context, ["profiles", name])
  );
  const known = new Set(profileNames);
  const clients = clientNames.map((name) =>
    checkClient(name, clientsIn[name], known, ["clients", name])
  );
  checkUnique(clients);
  return { profiles, clients };
}

/** One profile, as the admin API receives it: `value` is what stands under its name. */
export function checkProfile(
  name: string,
  value: unknown,
  context: SpecContext,
  path: Path = ["profiles", name],
): Profile {
  if (!PROFILE_NAME.test(name)) {
    throw new PolicyError(
      path,
      `"${name}" is not a profile name: a-z, 0-9 and '-', 1-63 long`,
      true,
    );
  }
  const fields = record(value ?? {}, path, `profile "${name}"`);
  unknownKeys(fields, PROFILE_KEYS, path);
  const at = (key: string) => [...path, key];
  const profile: {
    -readonly [K in keyof Profile]: Profile[K];
  } = {
    name,
    block: entries(fields.block, at("block")),
    allow: entries(fields.allow, at("allow")),
    safeSearch: fields.safe_search === undefined
      ? false
      : boolean(fields.safe_search, at("safe_search")),
  };
  if (fields.blocklists !== undefined) {
    profile.blocklists = listNames(
      fields.blocklists,
      context.blocklists,
      "block",
      at("blocklists"),
    );
  }
  if (fields.allowlists !== undefined) {
    profile.allowlists = listNames(
      fields.allowlists,
      context.allowlists,
      "allow",
      at("allowlists"),
    );
  }
  if (fields.block_response !== undefined) {
    // YAML reads a bare `null` as no value; here it can only mean the "null" answer.
    const response = fields.block_response ?? "null";
    profile.blockResponse = oneOf(response, BLOCK_RESPONSES, at("block_response"));
  }
  if (fields.upstreams !== undefined) {
    profile.upstreams = upstreams(fields.upstreams, context, at("upstreams"));
  }
  if (fields.log !== undefined) {
    profile.log = oneOf(fields.log, LOG_MODES, at("log")) as Profile["log"];
  }
  return profile;
}

/** One client, as the admin API receives it; `profiles`: the names it may refer to. */
export function checkClient(
  name: string,
  value: unknown,
  profiles: ReadonlySet<string>,
  path: Path = ["clients", name],
): ClientSpec {
  const shown = name.trim();
  // Characters as a person counts them (code points): "\u{1F46A}" is one, though two UTF-16 units.
  const length = [...shown].length;
  // deno-lint-ignore no-control-regex
  if (length === 0 || length > LIMITS.displayName || /[\x00-\x1f\x7f]/.test(shown)) {
    throw new PolicyError(
      path,
      `a client's name is 1-${LIMITS.displayName} characters, without control characters`,
      true,
    );
  }
  // The name is the client's key wherever it is kept: trimmed, " Tablet" would read back as a
  // second "Tablet", and an edit or delete of one would miss the other in the file.
  if (shown !== name) {
    throw new PolicyError(path, "a client's name does not start or end with spaces", true);
  }
  const fields = record(value ?? {}, path, `client "${shown}"`);
  unknownKeys(fields, CLIENT_KEYS, path);
  const at = (key: string) => [...path, key];
  if (fields.profile === undefined) throw new PolicyError(path, "a client needs a profile");
  const profile = text(fields.profile, at("profile"));
  if (!profiles.has(profile) && profile !== "default") {
    throw new PolicyError(at("profile"), `no profile named "${profile}"`);
  }
  const ids = strings(fields.ids ?? [], at("ids"), LIMITS.perClient).map((id, i) => {
    if (!CLIENT_ID.test(id)) throw new PolicyError([...at("ids"), i], `"${id}": ${CLIENT_ID_RULE}`);
    return id.toLowerCase();
  });
  const addresses = strings(fields.addresses ?? [], at("addresses"), LIMITS.perClient).map(
    (address, i) => {
      if (parseCidr(address) === undefined) {
        throw new PolicyError(
          [...at("addresses"), i],
          `"${address}" is not an address or CIDR range`,
        );
      }
      return address.trim();
    },
  );
  if (ids.length === 0 && addresses.length === 0) {
    throw new PolicyError(path, "a client needs ids (ClientIDs) or addresses to be known by");
  }
  return { name: shown, profile, ids, addresses };
}

/** No ClientID, and no range, belongs to two clients. */
function checkUnique(clients: readonly ClientSpec[]): void {
  const owners = new Map<string, string>();
  for (const client of clients) {
    for (const [kind, items] of [["ids", client.ids], ["addresses", client.addresses]] as const) {
      for (const [i, item] of items.entries()) {
        const key = kind === "ids" ? `id ${item}` : `range ${rangeKey(item)}`;
        const owner = owners.get(key);
        if (owner !== undefined && owner !== client.name) {
          throw new PolicyError(
            ["clients", client.name, kind, i],
            `"${item}" belongs to client "${owner}" already`,
          );
        }
        owners.set(key, client.name);
      }
    }
  }
}

function rangeKey(text: string): string {
  const cidr = parseCidr(text)!;
  return `${cidr.bytes.join(".")}/${cidr.bits}`;
}

function record(value: unknown, path: Path, what: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new PolicyError(path, `${what} must be a mapping of names to settings`);
  }
  return value as Record<string, unknown>;
}

function unknownKeys(fields: Record<string, unknown>, allowed: readonly string[], path: Path) {
  for (const key of Object.keys(fields)) {
    if (!allowed.includes(key)) {
      throw new PolicyError(
        [...path, key],
        `unknown key "${key}"; expected ${allowed.join(", ")}`,
        true,
      );
    }
  }
}

function text(value: unknown, path: Path): string {
  if (typeof value !== "string") throw new PolicyError(path, "expected a string");
  return value;
}

function boolean(value: unknown, path: Path): boolean {
  if (typeof value !== "boolean") throw new PolicyError(path, "expected true or false");
  return value;
}

function oneOf(value: unknown, allowed: readonly string[], path: Path): string {
  const chosen = typeof value === "string" ? value.toLowerCase() : undefined;
  if (chosen === undefined || !allowed.includes(chosen)) {
    throw new PolicyError(path, `expected one of ${allowed.join(", ")}`);
  }
  return chosen;
}

function strings(value: unknown, path: Path, most: number): string[] {
  if (!Array.isArray(value)) throw new PolicyError(path, "expected a list");
  if (value.length > most) throw new PolicyError(path, `at most ${most} items`);
  return value.map((item, i) => text(item, [...path, i]));
}

/** List entries: a name (with its subdomains) or "*.name" (its subdomains only). */
function entries(value: unknown, path: Path): string[] {
  if (value === undefined) return [];
  return strings(value, path, LIMITS.entries).map((entry, i) => {
    const wildcard = entry.startsWith("*.");
    const checked = normalizeDomain(wildcard ? entry.slice(2) : entry);
    if ("reason" in checked) throw new PolicyError([...path, i], `"${entry}": ${checked.reason}`);
    return wildcard ? `*.${checked.name}` : checked.name;
  });
}

function listNames(
  value: unknown,
  configured: readonly string[],
  kind: "block" | "allow",
  path: Path,
): string[] {
  return strings(value, path, configured.length + 1).map((name, i) => {
    const lower = name.toLowerCase();
    if (!configured.includes(lower)) {
      const setting = kind === "block" ? "BLOCKLIST_URLS" : "ALLOWLIST_URLS";
      const have = configured.length === 0 ? "none" : configured.join(", ");
      throw new PolicyError(
        [...path, i],
        `no ${kind} list named "${name}" in ${setting} (${have})`,
      );
    }
    return lower;
  });
}

function upstreams(value: unknown, context: SpecContext, path: Path): string[] {
  const urls = strings(value, path, LIMITS.upstreams);
  if (urls.length === 0) throw new PolicyError(path, "at least one upstream, or leave it out");
  return urls.map((url, i) => {
    try {
      const spec = parseUpstreamUrl(url.trim());
      if (spec.protocol === "udp" && !context.udpAvailable) {
        throw new Error(`${url} needs UDP, which this runtime lacks; use tls:// or https://`);
      }
    } catch (error) {
      throw new PolicyError([...path, i], (error as Error).message);
    }
    return url.trim();
  });
}

/** The document as YAML/JSON would say it: what the admin API returns and Redis holds. */
export function policyValue(doc: PolicyDoc): Record<string, Record<string, unknown>> {
  return {
    profiles: Object.fromEntries(
      doc.profiles.map((profile) => [profile.name, profileValue(profile)]),
    ),
    clients: Object.fromEntries(doc.clients.map((client) => [client.name, clientValue(client)])),
  };
}

/** One profile's fields under its name, with the file's keys. */
export function profileValue(profile: Profile): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  if (profile.blocklists) value.blocklists = [...profile.blocklists];
  if (profile.allowlists) value.allowlists = [...profile.allowlists];
  if (profile.block.length > 0) value.block = [...profile.block];
  if (profile.allow.length > 0) value.allow = [...profile.allow];
  if (profile.blockResponse) value.block_response = profile.blockResponse;
  if (profile.safeSearch) value.safe_search = true;
  if (profile.upstreams) value.upstreams = [...profile.upstreams];
  if (profile.log) value.log = profile.log;
  return value;
}

/** One client's fields under its name. */
export function clientValue(client: ClientSpec): Record<string, unknown> {
  const value: Record<string, unknown> = { profile: client.profile };
  if (client.ids.length > 0) value.ids = [...client.ids];
  if (client.addresses.length > 0) value.addresses = [...client.addresses];
  return value;
}
