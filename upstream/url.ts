/**
 * Upstream URLs (the UPSTREAMS setting): `udp://`, `tcp://`, `tls://` (DoT), `https://` (DoH),
 * and `http://` (plain DoH, for local and test upstreams). Parsed once at startup into an
 * `UpstreamSpec` whose `url` is normalised with an explicit port, so logs and metrics name an
 * upstream the same way whichever spelling the user chose.
 */

export type UpstreamProtocol = "udp" | "tcp" | "tls" | "https" | "http";

export interface UpstreamSpec {
  protocol: UpstreamProtocol;
  /** Hostname or IP address; IPv6 without brackets. */
  host: string;
  port: number;
  /** HTTP path for https/http ("/dns-query" by default); "" for the others. */
  path: string;
  /** Normalised, e.g. "udp://9.9.9.9:53", "udp://[2620:fe::fe]:53", "https://dns.quad9.net:443/dns-query". */
  url: string;
}

/** A bad upstream URL; the message is one line naming the value and what is expected. */
export class UpstreamUrlError extends Error {
  readonly value: string;

  constructor(value: string, problem: string) {
    super(
      `invalid upstream ${JSON.stringify(value)}: ${problem}; expected ` +
        "udp://host[:port], tcp://host[:port], tls://host[:port] or https://host[:port][/path]",
    );
    this.name = "UpstreamUrlError";
    this.value = value;
  }
}

export const DEFAULT_PORTS: Readonly<Record<UpstreamProtocol, number>> = {
  udp: 53,
  tcp: 53,
  tls: 853,
  https: 443,
  http: 80,
};

/** RFC 8484's conventional path. */
export const DEFAULT_DOH_PATH = "/dns-query";

const PATTERN =
  /^([a-z][a-z0-9+.-]*):\/\/(\[[^\]]*\]|[^/:?#\[\]]*)(?::([^/?#]*))?([^?#]*)(\?[^#]*)?(#.*)?$/i;

export function parseUpstreamUrl(text: string): UpstreamSpec {
  const value = text.trim();
  const match = PATTERN.exec(value);
  if (!match) throw new UpstreamUrlError(text, "not a URL");
  const [, scheme, rawHost, rawPort, rawPath, query, fragment] = match;
  const protocol = scheme.toLowerCase();
  if (!isProtocol(protocol)) {
    throw new UpstreamUrlError(text, `unknown scheme "${scheme}"`);
  }
  if (value.includes("@")) throw new UpstreamUrlError(text, "credentials are not supported");
  if (fragment !== undefined) throw new UpstreamUrlError(text, "a fragment is not allowed");
  const host = parseHost(text, rawHost);
  const port = parsePort(text, rawPort, protocol);
  const web = protocol === "https" || protocol === "http";
  if (!web && (rawPath !== "" && rawPath !== "/" || query !== undefined)) {
    throw new UpstreamUrlError(text, `a path is not allowed for ${protocol}://`);
  }
  const path = web
    ? (rawPath === "" || rawPath === "/" ? DEFAULT_DOH_PATH : rawPath) + (query ?? "")
    : "";
  if (web && /\s/.test(path)) throw new UpstreamUrlError(text, "the path contains whitespace");
  if ((protocol === "udp" || protocol === "tcp") && !isIpv4(host) && !isIpv6(host)) {
    throw new UpstreamUrlError(text, `${protocol}:// needs an IP address, not the name "${host}"`);
  }
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return { protocol, host, port, path, url: `${protocol}://${hostPart}:${port}${path}` };
}

/**
 * One spelling for a list of upstream URLs, the same for the same upstreams however they were
 * written ("udp://9.9.9.9" and "udp://9.9.9.9:53"): what a profile's own pool and its cached
 * answers are known by. A URL that does not parse is kept as written (its pool fails to be made,
 * and nothing it answers is cached).
 */
export function upstreamsKey(urls: readonly string[]): string {
  return urls.map((url) => {
    try {
      return parseUpstreamUrl(url).url;
    } catch {
      return url.trim();
    }
  }).join(" ");
}

function isProtocol(value: string): value is UpstreamProtocol {
  return Object.hasOwn(DEFAULT_PORTS, value);
}

function parseHost(text: string, raw: string): string {
  if (raw === "") throw new UpstreamUrlError(text, "the host is missing");
  if (raw.startsWith("[")) {
    const inner = raw.slice(1, -1).toLowerCase();
    if (!isIpv6(inner)) throw new UpstreamUrlError(text, `"${inner}" is not an IPv6 address`);
    return inner;
  }
  const host = raw.toLowerCase();
  if (/^[\d.]+$/.test(host)) {
    if (!isIpv4(host)) throw new UpstreamUrlError(text, `"${raw}" is not an IPv4 address`);
    return host;
  }
  const labels = host.replace(/\.$/, "").split(".");
  const valid = host.length <= 253 &&
    labels.every((label) => /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/.test(label));
  if (!valid) throw new UpstreamUrlError(text, `"${raw}" is not a valid host name`);
  return host.replace(/\.$/, "");
}

function parsePort(text: string, raw: string | undefined, protocol: UpstreamProtocol): number {
  if (raw === undefined || raw === "") {
    if (raw === "") throw new UpstreamUrlError(text, "the port is empty");
    return DEFAULT_PORTS[protocol];
  }
  if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) {
    throw new UpstreamUrlError(text, `port "${raw}" is not a number from 1 to 65535`);
  }
  return Number(raw);
}

export function isIpv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 &&
    parts.every((part) => /^(?:0|[1-9]\d{0,2})$/.test(part) && Number(part) <= 255);
}

export function isIpv6(text: string): boolean {
  if (!/^[0-9a-f:.]+$/i.test(text) || !text.includes(":")) return false;
  let groups = text.split(":");
  // An embedded IPv4 tail counts as two groups.
  const last = groups[groups.length - 1];
  if (last.includes(".")) {
    if (!isIpv4(last)) return false;
    groups = [...groups.slice(0, -1), "0", "0"];
  }
  const double = text.split("::").length - 1;
  if (double > 1) return false;
  if (double === 1) {
    const filled = groups.filter((group) => group !== "");
    return filled.length <= 7 && filled.every((group) => /^[0-9a-f]{1,4}$/i.test(group));
  }
  return groups.length === 8 && groups.every((group) => /^[0-9a-f]{1,4}$/i.test(group));
}
