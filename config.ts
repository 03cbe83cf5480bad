/**
 * Environment -> one typed, validated `Config` with defaults (DESIGN §10; the README's table
 * is the source of truth). A bad value stops startup with one line naming the variable, the
 * value and what is expected -- never a stack trace for a user mistake (DESIGN §7).
 */
import { BLOCK_RESPONSES, type BlockResponse } from "./blocklist/block_answer.ts";
import { DEFAULT_BLOCKLISTS, type ListSource, parseSources } from "./blocklist/source.ts";
import type { FailMode } from "./blocklist/stage.ts";
import type { ClientLogMode } from "./observe/client_privacy.ts";
import { type Cidr, parseCidr } from "./net/cidr.ts";
import { parseUpstreamUrl, type UpstreamSpec } from "./upstream/url.ts";

export interface Config {
  /** Address of the HTTP door. */
  host: string;
  httpPort: number;
  /** PEM files; when both are set the HTTP door speaks HTTPS (HTTP/2 and HTTP/1.1). */
  tls?: { certFile: string; keyFile: string };
  /** How long a request body may take to arrive, ms: a trickling client holds nothing longer. */
  httpBodyTimeoutMs: number;
  /** Open connections the HTTP door holds at most (lowered at startup to fit the fd limit). */
  httpMaxConnections: number;
  /** Proxies whose X-Forwarded-For / Forwarded name the HTTP client; undefined: none. */
  trustedProxies?: Cidr[];
  /** Per-client rate limit of DoH and the JSON API; undefined when DOH_RATE=0 turns it off. */
  dohRate?: { rate: number; burst: number };
  upstreams: UpstreamSpec[];
  /** PEM file of extra CAs trusted for tls:// and https:// upstreams (private resolvers). */
  upstreamCaFile?: string;
  /** Budget of one query from arrival to answer, milliseconds. */
  queryTimeoutMs: number;
  /** Longest wait for one upstream before the next is tried, milliseconds. */
  upstreamTimeoutMs: number;
  /** Pass clients' EDNS client-subnet option upstream (off: it reveals their network). */
  forwardClientSubnet: boolean;
  /** Print the query log as JSON lines to stdout. */
  logQueries: boolean;
  /** What the query log keeps of a client's address, and the key of its pseudonyms. */
  logClient: { mode: ClientLogMode; key?: string };
  /** With Redis: about how many entries the shared query-log stream keeps (0: no stream). */
  logStreamMax: number;
  /** Names this instance in the shared query log. */
  instanceName: string;
  /** The query history (observe/history.ts). */
  history: HistoryConfig;
  /** The answer cache; undefined when CACHE_MAX_BYTES=0 turns it off. */
  cache?: CacheConfig;
  /** Shared state in Redis; undefined for memory only. */
  redis?: RedisConfig;
  blocklist: BlocklistConfig;
  /** Bearer token of the admin API; undefined: the admin API is off. */
  adminToken?: string;
  /** Bearer token `/metrics` asks for; undefined: `/metrics` is open. */
  metricsToken?: string;
  /**
   * DNS rebinding protection (REBIND_PROTECTION) and the domains exempt from it
   * (REBIND_ALLOW); undefined when it is off.
   */
  rebinding?: { allow: string[] };
  /** Absolute path of the records file (local records, patterns, forward zones); undefined: none. */
  recordsFile?: string;
  /** The profiles file (clients/profiles_file.ts); absent: one profile for every client. */
  profilesFile?: string;
  /** Only clients the profiles know are answered (CLIENTS_ONLY). */
  clientsOnly: boolean;
  /** The classic doors: DNS over UDP, TCP and TLS. */
  dns: DnsDoorsConfig;
  /** Processes sharing the HTTP, TCP and DoT ports (SO_REUSEPORT); 1: just this one. */
  workers: number;
}

export interface HistoryConfig {
  /**
   * Stored in SQLite: HISTORY=on, or HISTORY=auto (the default) with a core to spare for the
   * history's writer beyond the answering processes; off: only what memory or Redis keeps.
   */
  on: boolean;
  /** The setting and, for auto, what decided it: said in the history's startup line. */
  why: string;
  /** Absolute path of the data directory the SQLite file lives in (DATA_DIR). */
  dataDir: string;
  /** Stored queries are kept this long (HISTORY_RETENTION). */
  retentionMs: number;
  /** Statistics are kept this long (STATS_RETENTION). */
  statsRetentionMs: number;
}

export interface DnsDoorsConfig {
  /** Address the classic doors listen on: DNS_HOST, or HOST when unset. */
  host: string;
  /** Each door is off when its port is unset; 0 takes any free port. */
  udpPort?: number;
  tcpPort?: number;
  dotPort?: number;
  /** Largest UDP answer whatever the client's EDNS size offers, bytes. */
  udpMaxSize: number;
  /** Per-client UDP rate limit; undefined when UDP_RATE=0 turns it off. */
  udpRate?: { rate: number; burst: number };
  /** Largest UDP answer to a client that has not proven its address (cookie or TCP), bytes. */
  udpUnprovenMaxSize: number;
  /** Key of the DNS server cookies (DNS_COOKIE_SECRET); undefined: random per process. */
  cookieSecret?: Uint8Array;
  tcpIdleTimeoutMs: number;
  /** Open connections per stream door (TCP, DoT). */
  tcpMaxConnections: number;
  /** Open connections one client address (IPv6: /64) may hold per stream door. */
  tcpMaxPerClient: number;
  /** Queries one connection may have under way. */
  tcpMaxInFlight: number;
  /** Client ranges the classic doors answer; undefined: everyone. */
  allow?: Cidr[];
  /**
   * The DoT door's own host name (CLIENT_ID_DOMAIN), lower-case, no trailing dot: a server
   * name one label longer gives that label as the ClientID; undefined: none is read.
   */
  clientIdDomain?: string;
}

export interface BlocklistConfig {
  /** Block lists, then allow lists, in the order given. */
  sources: ListSource[];
  response: BlockResponse;
  /** TTL of block answers (and their SOA), seconds. */
  ttl: number;
  /** Directory of disk copies of downloaded lists; undefined: none kept. */
  dir?: string;
  /** Lists are refreshed this often, and a younger copy is not downloaded again, ms. */
  refreshMs: number;
  /** Largest list accepted, bytes. */
  maxBytes: number;
  downloadTimeoutMs: number;
  /** How long the Redis store reuses a decision locally, ms. */
  decisionCacheMs: number;
}

export interface RedisConfig {
  /** redis:// or rediss:// URL (self-hosted), when Upstash is not configured. */
  url?: string;
  /** Upstash REST endpoint and token (Deno Deploy). */
  upstashUrl?: string;
  upstashToken?: string;
  timeoutMs: number;
  /** Calls waiting on Redis at once; one more is refused at once (a Redis that hangs). */
  maxWaiting: number;
  /** Prefix of every key, so one Redis can serve several deployments. */
  prefix: string;
  /** What the blocklist does when Redis fails: answer unfiltered (open) or SERVFAIL (closed). */
  failMode: FailMode;
}

export interface CacheConfig {
  maxBytes: number;
  minTtl: number;
  maxTtl: number;
  errorTtl: number;
  maxStaleSeconds: number;
  prefetchHits: number;
}

/** The defaults where UDP exists (a VM) and where it does not (Deno Deploy). */
export const DEFAULT_UPSTREAM_UDP = "udp://9.9.9.9:53";
export const DEFAULT_UPSTREAM_DOH = "https://dns.quad9.net/dns-query";

/** A setting a user got wrong; `message` is the one line to show them. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export type Env = Record<string, string | undefined>;

export interface ConfigContext {
  /** Whether this runtime can send UDP (false on Deno Deploy). */
  udpAvailable: boolean;
  /** Cores this process may run on (navigator.hardwareConcurrency); HISTORY=auto reads it. */
  cores?: number;
  /** Directory relative list paths and BLOCKLIST_DIR are resolved against. */
  cwd?: string;
}

export function loadConfig(env: Env, context: ConfigContext): Config {
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  const certFile = read("TLS_CERT");
  const keyFile = read("TLS_KEY");
  if ((certFile === undefined) !== (keyFile === undefined)) {
    const missing = certFile === undefined ? "TLS_CERT" : "TLS_KEY";
    throw new ConfigError(`${missing} is unset: TLS_CERT and TLS_KEY go together (PEM files)`);
  }
  const queryTimeoutMs = integer(env, "QUERY_TIMEOUT_MS", 3000, 100, 60_000);
  const upstreamTimeoutMs = integer(env, "UPSTREAM_TIMEOUT_MS", 1500, 50, 60_000);
  const workers = integer(env, "WORKERS", 1, 1, 64);
  const config: Config = {
    host: read("HOST") ?? "127.0.0.1",
    httpPort: integer(env, "HTTP_PORT", 8080, 0, 65535),
    tls: certFile && keyFile ? { certFile, keyFile } : undefined,
    httpBodyTimeoutMs: integer(env, "HTTP_BODY_TIMEOUT_MS", 10_000, 100, 600_000),
    httpMaxConnections: integer(env, "HTTP_MAX_CONNECTIONS", 10_000, 1, 1_000_000),
    trustedProxies: cidrList("TRUSTED_PROXIES", read("TRUSTED_PROXIES")),
    dohRate: rateSettings(env, "DOH", 200, 2000),
    upstreams: upstreams(read("UPSTREAMS"), context),
    upstreamCaFile: read("UPSTREAM_CA_FILE"),
    queryTimeoutMs,
    upstreamTimeoutMs: Math.min(upstreamTimeoutMs, queryTimeoutMs),
    forwardClientSubnet: boolean(env, "FORWARD_CLIENT_SUBNET", false),
    logQueries: boolean(env, "LOG_QUERIES", true),
    logClient: logClient(read),
    logStreamMax: integer(env, "LOG_STREAM_MAX", 10_000, 0, 10_000_000),
    // Not Deno.hostname(): it needs --allow-sys, and would prompt in a terminal.
    instanceName: read("INSTANCE_NAME") ??
      `${read("HOSTNAME") ?? "gateway"}-${crypto.randomUUID().slice(0, 8)}`,
    history: historyConfig(env, read, context, workers),
    cache: cacheConfig(env),
    redis: redisConfig(env, read),
    blocklist: blocklistConfig(env, read, context.cwd ?? "/"),
    rebinding: rebinding(env, read),
    adminToken: adminToken(read("ADMIN_TOKEN")),
    metricsToken: adminToken(read("METRICS_TOKEN"), "METRICS_TOKEN"),
    recordsFile: absolute(read("RECORDS_FILE"), context.cwd ?? "/"),
    profilesFile: absolute(read("PROFILES_FILE"), context.cwd ?? "/"),
    clientsOnly: boolean(env, "CLIENTS_ONLY", false),
    dns: dnsDoorsConfig(env, read, certFile !== undefined),
    workers,
  };
  checkWorkers(config);
  if (config.clientsOnly && config.profilesFile === undefined && config.redis === undefined) {
    throw new ConfigError(
      'CLIENTS_ONLY="true" needs PROFILES_FILE or Redis: without profiles no client is known',
    );
  }
  return config;
}

/**
 * Several workers share fixed ports; and without Redis each would keep admin edits, its cache
 * and its query log to itself, so an edit made through one would not reach the others.
 */
function checkWorkers(config: Config): void {
  if (config.workers === 1) return;
  const ports = [
    ["HTTP_PORT", config.httpPort],
    ["TCP_PORT", config.dns.tcpPort],
    ["DOT_PORT", config.dns.dotPort],
  ] as const;
  for (const [name, port] of ports) {
    if (port === 0) {
      throw new ConfigError(
        `WORKERS="${config.workers}" with ${name}="0": workers share a port, so it must be fixed`,
      );
    }
  }
  if (config.adminToken !== undefined && config.redis === undefined) {
    throw new ConfigError(
      `WORKERS="${config.workers}" with ADMIN_TOKEN needs REDIS_URL or Upstash: ` +
        "without Redis each worker keeps its own blocklist edits, cache and query log",
    );
  }
}

const CLIENT_LOG_MODES: readonly ClientLogMode[] = ["address", "hash", "off"];

function logClient(read: (name: string) => string | undefined): Config["logClient"] {
  const mode = (read("LOG_CLIENT") ?? "address").toLowerCase() as ClientLogMode;
  if (!CLIENT_LOG_MODES.includes(mode)) {
    throw new ConfigError(
      `LOG_CLIENT="${read("LOG_CLIENT")}": expected one of ${CLIENT_LOG_MODES.join(", ")}`,
    );
  }
  return { mode, key: read("LOG_CLIENT_KEY") };
}

/** A path setting resolved against the working directory, as the user typed it relative to it. */
function historyConfig(
  env: Env,
  read: (name: string) => string | undefined,
  context: ConfigContext,
  workers: number,
): HistoryConfig {
  const dataDir = absolute(read("DATA_DIR") ?? ".data", context.cwd ?? "/")!;
  const retentionMs = duration(env, "HISTORY_RETENTION", "7d", HOUR_MS, 365 * DAY_MS);
  const statsRetentionMs = duration(env, "STATS_RETENTION", "90d", DAY_MS, 730 * DAY_MS);
  const setting = read("HISTORY");
  if (setting !== undefined && setting.toLowerCase() !== "auto") {
    const lower = setting.toLowerCase();
    if (!TRUE_WORDS.has(lower) && !FALSE_WORDS.has(lower)) {
      throw new ConfigError(`HISTORY="${setting}": expected on, off or auto`);
    }
    const on = TRUE_WORDS.has(lower);
    return { on, why: `HISTORY=${on ? "on" : "off"}`, dataDir, retentionMs, statsRetentionMs };
  }
  // Storing a query costs its writer thread several times what answering it from the cache
  // costs: on by default only where that thread has a core of its own.
  const cores = context.cores ?? navigator.hardwareConcurrency ?? 1;
  const on = cores > workers;
  const why = `HISTORY=auto: ${cores} core${cores === 1 ? "" : "s"} for ${workers} ` +
    `answering process${workers === 1 ? "" : "es"}${on ? "" : ", none to spare"}`;
  return { on, why, dataDir, retentionMs, statsRetentionMs };
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** A span of days or hours: "7d", "36h", or a bare number of days. */
function duration(env: Env, name: string, fallback: string, min: number, max: number): number {
  const text = env[name]?.trim() || fallback;
  const match = /^(\d{1,6})\s*([dh]?)$/i.exec(text);
  const value = match && Number(match[1]) * (match[2].toLowerCase() === "h" ? HOUR_MS : DAY_MS);
  if (!value || value < min || value > max) {
    throw new ConfigError(
      `${name}="${text}": expected days or hours ("7d", "36h") from ${min / HOUR_MS}h to ${
        max / DAY_MS
      }d`,
    );
  }
  return value;
}

function absolute(path: string | undefined, cwd: string): string | undefined {
  if (path === undefined || path.startsWith("/")) return path;
  return `${cwd}/${path}`;
}

function dnsDoorsConfig(
  env: Env,
  read: (name: string) => string | undefined,
  hasCertificate: boolean,
): DnsDoorsConfig {
  const port = (name: string) =>
    read(name) === undefined ? undefined : integer(env, name, 0, 0, 65535);
  const dotPort = port("DOT_PORT");
  if (dotPort !== undefined && !hasCertificate) {
    throw new ConfigError(
      `DOT_PORT="${dotPort}": needs TLS_CERT and TLS_KEY (the certificate DoT clients check)`,
    );
  }
  return {
    host: read("DNS_HOST") ?? read("HOST") ?? "127.0.0.1",
    udpPort: port("UDP_PORT"),
    tcpPort: port("TCP_PORT"),
    dotPort,
    udpMaxSize: integer(env, "UDP_MAX_SIZE", 1232, 512, 4096),
    udpRate: rateSettings(env, "UDP", 100, 200),
    udpUnprovenMaxSize: integer(env, "UDP_UNPROVEN_MAX_SIZE", 512, 64, 4096),
    cookieSecret: cookieSecret(read("DNS_COOKIE_SECRET")),
    tcpIdleTimeoutMs: integer(env, "TCP_IDLE_SECONDS", 10, 1, 3600) * 1000,
    tcpMaxConnections: integer(env, "TCP_MAX_CONNECTIONS", 1000, 1, 1_000_000),
    tcpMaxPerClient: integer(env, "TCP_MAX_PER_CLIENT", 64, 1, 1_000_000),
    tcpMaxInFlight: integer(env, "TCP_MAX_IN_FLIGHT", 100, 1, 65535),
    allow: cidrList("DNS_ALLOW_CIDRS", read("DNS_ALLOW_CIDRS")),
    clientIdDomain: clientIdDomain(read("CLIENT_ID_DOMAIN")),
  };
}

/** CLIENT_ID_DOMAIN: a host name of at least two labels, as DoT clients are given it. */
function clientIdDomain(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const domain = value.trim().toLowerCase().replace(/\.$/, "");
  const label = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
  if (domain.length > 189 || !new RegExp(`^${label}(?:\\.${label})+$`).test(domain)) {
    throw new ConfigError(
      `CLIENT_ID_DOMAIN="${value}": expected the DoT door's host name, e.g. dns.example.net (its clients use <clientid>.dns.example.net)`,
    );
  }
  return domain;
}

/** DNS_COOKIE_SECRET: 16 to 64 bytes in hex, as `openssl rand -hex 16` writes them. */
function cookieSecret(value: string | undefined): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (!/^(?:[0-9a-f]{2}){16,64}$/i.test(value)) {
    throw new ConfigError(
      `DNS_COOKIE_SECRET is ${value.length} characters: expected 32 to 128 hex digits (e.g. openssl rand -hex 16)`,
    );
  }
  return Uint8Array.fromHex(value);
}

/** `<door>_RATE` per second and `<door>_BURST` at once, per client; undefined when the rate is 0. */
function rateSettings(
  env: Env,
  door: "UDP" | "DOH",
  rate: number,
  burst: number,
): { rate: number; burst: number } | undefined {
  const perSecond = integer(env, `${door}_RATE`, rate, 0, 1_000_000);
  if (perSecond === 0) return undefined;
  return { rate: perSecond, burst: integer(env, `${door}_BURST`, burst, 1, 1_000_000) };
}

/** A comma-separated list of addresses and ranges (DNS_ALLOW_CIDRS, TRUSTED_PROXIES). */
function cidrList(name: string, value: string | undefined): Cidr[] | undefined {
  if (value === undefined) return undefined;
  return value.split(",").map((item) => item.trim()).filter((item) => item !== "").map(
    (item) => {
      const cidr = parseCidr(item);
      if (cidr === undefined) {
        throw new ConfigError(
          `${name}="${value}": "${item}" is not an address or range (e.g. 192.0.2.0/24, 2001:db8::/32)`,
        );
      }
      return cidr;
    },
  );
}

const MIN_ADMIN_TOKEN = 16;

function adminToken(token: string | undefined, variable = "ADMIN_TOKEN"): string | undefined {
  if (token !== undefined && token.length < MIN_ADMIN_TOKEN) {
    throw new ConfigError(
      `${variable} is ${token.length} characters: use at least ${MIN_ADMIN_TOKEN} (e.g. openssl rand -hex 24)`,
    );
  }
  return token;
}

function blocklistConfig(
  env: Env,
  read: (name: string) => string | undefined,
  cwd: string,
): BlocklistConfig {
  const taken = new Set<string>();
  const sources = (name: string, kind: ListSource["kind"], fallback: string) => {
    // Set but empty (or "none") means no lists; unset means the defaults.
    const given = env[name]?.trim();
    const value = given === undefined ? fallback : /^(none|off)$/i.test(given) ? "" : given;
    try {
      return parseSources(value, kind, taken, cwd);
    } catch (error) {
      throw new ConfigError(`${name}="${value}": ${(error as Error).message}`);
    }
  };
  const response = (read("BLOCK_RESPONSE") ?? "nxdomain").toLowerCase();
  if (!(BLOCK_RESPONSES as readonly string[]).includes(response)) {
    throw new ConfigError(
      `BLOCK_RESPONSE="${read("BLOCK_RESPONSE")}": expected one of ${BLOCK_RESPONSES.join(", ")}`,
    );
  }
  const dir = read("BLOCKLIST_DIR") ?? ".cache/blocklists";
  return {
    sources: [
      ...sources("BLOCKLIST_URLS", "block", DEFAULT_BLOCKLISTS),
      ...sources("ALLOWLIST_URLS", "allow", ""),
    ],
    response: response as BlockResponse,
    ttl: integer(env, "BLOCK_TTL", 60, 0, DAY),
    dir: /^(none|off)$/i.test(dir) ? undefined : absolute(dir, cwd),
    refreshMs: integer(env, "BLOCKLIST_REFRESH_HOURS", 24, 1, 24 * 30) * 3_600_000,
    maxBytes: integer(env, "BLOCKLIST_MAX_BYTES", 64 * 1024 * 1024, 1024, 2 ** 31),
    downloadTimeoutMs: integer(env, "BLOCKLIST_DOWNLOAD_TIMEOUT_MS", 60_000, 100, 600_000),
    decisionCacheMs: integer(env, "BLOCKLIST_DECISION_CACHE_MS", 10_000, 0, 3_600_000),
  };
}

/**
 * REBIND_PROTECTION (on by default) and REBIND_ALLOW: domains, comma-separated, whose names
 * (subdomains included) may point to private addresses; lower-case, no trailing dot.
 */
function rebinding(
  env: Env,
  read: (name: string) => string | undefined,
): Config["rebinding"] {
  const text = read("REBIND_ALLOW") ?? "";
  const label = "[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?";
  const domain = new RegExp(`^${label}(?:\\.${label})*$`);
  const allow = text.split(",").map((item) => item.trim().toLowerCase().replace(/\.$/, ""))
    .filter((item) => item !== "");
  for (const item of allow) {
    if (item.length > 253 || !domain.test(item)) {
      throw new ConfigError(
        `REBIND_ALLOW="${text}": "${item}" is not a domain name (e.g. corp.example, home.arpa; subdomains are included)`,
      );
    }
  }
  return boolean(env, "REBIND_PROTECTION", true) ? { allow } : undefined;
}

function redisConfig(
  env: Env,
  read: (name: string) => string | undefined,
): RedisConfig | undefined {
  const url = read("REDIS_URL");
  const upstashUrl = read("UPSTASH_REDIS_REST_URL");
  const upstashToken = read("UPSTASH_REDIS_REST_TOKEN");
  if ((upstashUrl === undefined) !== (upstashToken === undefined)) {
    const missing = upstashUrl === undefined
      ? "UPSTASH_REDIS_REST_URL"
      : "UPSTASH_REDIS_REST_TOKEN";
    throw new ConfigError(
      `${missing} is unset: UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN go together`,
    );
  }
  if (url !== undefined && !/^rediss?:\/\/[^\s]+$/.test(url)) {
    throw new ConfigError(`REDIS_URL="${url}": expected redis://[user:password@]host[:port][/db]`);
  }
  if (upstashUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(upstashUrl)) {
    throw new ConfigError(`UPSTASH_REDIS_REST_URL="${upstashUrl}": expected an https:// URL`);
  }
  if (url === undefined && upstashUrl === undefined) return undefined;
  return {
    url,
    upstashUrl,
    upstashToken,
    timeoutMs: integer(env, "REDIS_TIMEOUT_MS", 250, 10, 10_000),
    maxWaiting: integer(env, "REDIS_MAX_WAITING", 1000, 1, 1_000_000),
    prefix: read("REDIS_PREFIX") ?? "dns:",
    failMode: failMode(read("REDIS_FAIL")),
  };
}

function failMode(value: string | undefined): FailMode {
  const mode = (value ?? "open").toLowerCase();
  if (mode !== "open" && mode !== "closed") {
    throw new ConfigError(`REDIS_FAIL="${value}": expected open or closed`);
  }
  return mode;
}

const DAY = 86_400;

function cacheConfig(env: Env): CacheConfig | undefined {
  const maxBytes = integer(env, "CACHE_MAX_BYTES", 64 * 1024 * 1024, 0, 2 ** 40);
  if (maxBytes === 0) return undefined;
  const minTtl = integer(env, "CACHE_MIN_TTL", 0, 0, DAY);
  const maxTtl = integer(env, "CACHE_MAX_TTL", DAY, 1, 7 * DAY);
  if (minTtl > maxTtl) {
    throw new ConfigError(
      `CACHE_MIN_TTL="${minTtl}" is above CACHE_MAX_TTL="${maxTtl}": the minimum must not exceed the maximum`,
    );
  }
  return {
    maxBytes,
    minTtl,
    maxTtl,
    errorTtl: integer(env, "CACHE_ERROR_TTL", 0, 0, 300),
    maxStaleSeconds: integer(env, "CACHE_MAX_STALE", DAY, 0, 30 * DAY),
    prefetchHits: integer(env, "CACHE_PREFETCH_HITS", 3, 0, 1_000_000),
  };
}

function upstreams(value: string | undefined, context: ConfigContext): UpstreamSpec[] {
  const list = value ?? (context.udpAvailable ? DEFAULT_UPSTREAM_UDP : DEFAULT_UPSTREAM_DOH);
  const items = list.split(",").map((item) => item.trim()).filter((item) => item !== "");
  if (items.length === 0) {
    throw new ConfigError(`UPSTREAMS="${value}": expected comma-separated upstream URLs`);
  }
  return items.map((item) => {
    let spec: UpstreamSpec;
    try {
      spec = parseUpstreamUrl(item);
    } catch (error) {
      throw new ConfigError(`UPSTREAMS="${list}": ${(error as Error).message}`);
    }
    if (spec.protocol === "udp" && !context.udpAvailable) {
      throw new ConfigError(
        `UPSTREAMS="${list}": ${item} needs UDP, which this runtime lacks (Deno Deploy); use tls:// or https://`,
      );
    }
    return spec;
  });
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = env[name]?.trim();
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new ConfigError(`${name}="${text}": expected a whole number from ${min} to ${max}`);
  }
  return value;
}

const TRUE_WORDS = new Set(["on", "true", "1", "yes"]);
const FALSE_WORDS = new Set(["off", "false", "0", "no"]);

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const text = env[name]?.trim();
  if (text === undefined || text === "") return fallback;
  const lower = text.toLowerCase();
  if (TRUE_WORDS.has(lower)) return true;
  if (FALSE_WORDS.has(lower)) return false;
  throw new ConfigError(`${name}="${text}": expected on or off`);
}

/** Reads a file a setting names; an unreadable file is a ConfigError naming the variable. */
export async function readSettingFile(variable: string, path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n", 1)[0] : String(error);
    throw new ConfigError(`${variable}="${path}": cannot read the file (${why})`);
  }
}

/**
 * Every list file BLOCKLIST_URLS and ALLOWLIST_URLS name must be there at startup: a missing
 * one is a ConfigError naming it (a typo would otherwise leave the gateway unfiltered). A list
 * URL that cannot be reached is no error here: the network may come later.
 */
export async function checkListFiles(sources: ListSource[]): Promise<void> {
  for (const source of sources) {
    if (/^https?:\/\//i.test(source.location)) continue;
    const variable = source.kind === "block" ? "BLOCKLIST_URLS" : "ALLOWLIST_URLS";
    let why: string | undefined;
    try {
      if (!(await Deno.stat(source.location)).isFile) why = "not a file";
    } catch (error) {
      why = error instanceof Error ? error.message.split("\n", 1)[0] : String(error);
    }
    if (why !== undefined) {
      throw new ConfigError(
        `${variable}: the list "${source.name}" is the file "${source.location}", which cannot be read (${why})`,
      );
    }
  }
}
