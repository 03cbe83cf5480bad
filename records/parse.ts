/**
 * The records file (RECORDS_FILE): zone-file lines, hosts-file lines, pattern records, local
 * zones and forward zones, one per line, read into a `RecordsFile`. The first mistake stops
 * the read with a `RecordsSyntaxError` naming its line and column; the syntax is documented in
 * the README ("Local records").
 *
 *     $TTL 300
 *     example.com            A        1.2.3.4
 *     1.2.3.5                example.com  example.my
 *     *.dev.lab.example  60  A        10.0.0.99
 *     lab.example            ZONE
 *     host<n>.lab.example    A        10.0.1.<n>
 *     corp.example           FORWARD  udp://10.0.0.1:53
 */
import {
  parseIpv4,
  parseIpv6,
  parseTypeName,
  RClass,
  type ResourceRecord,
  RType,
} from "../dns/mod.ts";
import type { ForwardZone } from "../upstream/router.ts";
import { parseUpstreamUrl, type UpstreamSpec } from "../upstream/url.ts";
import {
  checkPatternValue,
  compilePattern,
  isPattern,
  type NamePattern,
  type PatternValue,
} from "./pattern.ts";
import { domainName, parseRdata, RECORD_TYPES } from "./rdata_text.ts";
import { LineError, RecordsSyntaxError, type Token, tokenize } from "./tokens.ts";

export interface RecordsFile {
  /** Records with a fixed owner, wildcard owners ("*.dev.lab.example") among them. */
  records: ResourceRecord[];
  patterns: PatternRecords[];
  /** Names the gateway is the authority for: unknown names below them are NXDOMAIN. */
  zones: LocalZone[];
  forwards: ForwardZone[];
}

/** The values of one pattern owner, in file order. */
export interface PatternRecords {
  pattern: NamePattern;
  values: PatternValue[];
}

export interface LocalZone {
  name: string;
  /** TTL of the zone's SOA, so how long clients remember that a name does not exist. */
  ttl: number;
}

export interface ParseOptions {
  /** False where UDP is unavailable (Deno Deploy): udp:// forward zones are refused. */
  udpAvailable?: boolean;
}

/** TTL of records before any `$TTL` line, seconds. */
const DEFAULT_TTL = 60;
/** RFC 2181 §8: TTLs are 31-bit. */
const MAX_TTL = 2 ** 31 - 1;
const TTL_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const TTL = /^(\d+|(\d+[smhdw])+)$/i;

export function parseRecords(text: string, options: ParseOptions = {}): RecordsFile {
  const parser = new Parser(options.udpAvailable ?? true);
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  lines.forEach((line, index) => {
    try {
      parser.line(tokenize(line), index + 1);
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      throw new RecordsSyntaxError(error.message, index + 1, error.column);
    }
  });
  return parser.file;
}

class Parser {
  readonly file: RecordsFile = { records: [], patterns: [], zones: [], forwards: [] };
  #udp: boolean;
  #ttl = DEFAULT_TTL;
  /** Owner -> the line of its CNAME and of its first other record, for RFC 1034 §3.6.2. */
  #owners = new Map<string, { cname?: number; other?: number }>();
  /** Zone or forward zone name -> where it was declared. */
  #cuts = new Map<string, { kind: string; line: number }>();
  #patterns = new Map<string, PatternRecords>();

  constructor(udp: boolean) {
    this.#udp = udp;
  }

  line(tokens: Token[], line: number): void {
    const [first] = tokens;
    if (first === undefined) return;
    if (first.text.startsWith("$") && !first.quoted) return this.#directive(tokens);
    if (!first.quoted && (parseIpv4(first.text) ?? parseIpv6(first.text))) {
      return this.#hosts(tokens, line);
    }
    this.#record(tokens, line);
  }

  #directive([directive, value, extra]: Token[]): void {
    if (directive.text.toUpperCase() !== "$TTL") {
      throw new LineError(`unknown directive "${directive.text}": expected $TTL`, directive.column);
    }
    if (value === undefined) {
      throw new LineError("$TTL needs a value", directive.column + directive.text.length);
    }
    this.#ttl = ttl(value);
    if (extra) throw new LineError(`unexpected "${extra.text}" after the TTL`, extra.column);
  }

  /** `address name...`: an A or AAAA record for each name. */
  #hosts([address, ...names]: Token[], line: number): void {
    if (names.length === 0) {
      throw new LineError(
        "an address needs at least one name after it",
        address.column + address.text.length,
      );
    }
    const type = address.text.includes(":") ? RType.AAAA : RType.A;
    for (const token of names) {
      const owner = domainName(token, "name");
      this.#claim(owner, type, token, line);
      const data = parseRdata(type, [address], address);
      this.file.records.push({ name: owner, type, class: RClass.IN, ttl: this.#ttl, data });
    }
  }

  /** `owner [ttl] [IN] type value...` */
  #record(tokens: Token[], line: number): void {
    const { owner, ttl, typeToken, value } = this.#fields(tokens);
    const typeName = typeToken.text.toUpperCase();
    if (typeName === "ZONE") return this.#zone(owner, ttl, value, line);
    if (typeName === "FORWARD") return this.#forward(owner, typeToken, value, line);
    const type = RECORD_TYPES.get(typeName);
    if (type === undefined) throw unknownType(typeToken);
    if (isPattern(owner.text)) {
      return this.#pattern(owner, { type, ttl: ttl ?? this.#ttl, tokens: value, typeToken }, line);
    }
    const name = domainName(owner, "name", true);
    const data = parseRdata(type, value, typeToken);
    this.#claim(name, type, typeToken, line);
    this.file.records.push({ name, type, class: RClass.IN, ttl: ttl ?? this.#ttl, data });
  }

  /** The owner, the optional TTL and class (in either order), the type and the value. */
  #fields(tokens: Token[]) {
    let at = 1;
    let ttlValue: number | undefined;
    while (at < 3 && tokens[at] !== undefined) {
      const token = tokens[at];
      if (ttlValue === undefined && TTL.test(token.text)) ttlValue = ttl(token);
      else if (/^(IN|CH|HS|CS)$/i.test(token.text)) {
        if (token.text.toUpperCase() !== "IN") {
          throw new LineError("only class IN is served from the records file", token.column);
        }
      } else break;
      at++;
    }
    const typeToken = tokens[at];
    if (typeToken === undefined) {
      const last = tokens[at - 1];
      throw new LineError("a record type missing", last.column + last.text.length);
    }
    return { owner: tokens[0], ttl: ttlValue, typeToken, value: tokens.slice(at + 1) };
  }

  #zone(owner: Token, ttl: number | undefined, value: Token[], line: number): void {
    const name = domainName(owner, "zone name");
    this.#cut(name, "a local zone", owner, line);
    if (value[0]) throw new LineError(`unexpected "${value[0].text}" after ZONE`, value[0].column);
    this.file.zones.push({ name, ttl: ttl ?? this.#ttl });
  }

  #forward(owner: Token, typeToken: Token, value: Token[], line: number): void {
    const zone = domainName(owner, "zone name");
    this.#cut(zone, "a forward zone", owner, line);
    this.file.forwards.push({ zone, upstreams: this.#upstreams(value, typeToken) });
  }

  /** A pattern value joins the other values of the same owner. */
  #pattern(owner: Token, value: PatternValue, line: number): void {
    const pattern = compilePattern(owner);
    this.#claim(pattern.source, value.type, value.typeToken, line);
    let group = this.#patterns.get(pattern.source);
    checkPatternValue(group?.pattern ?? pattern, value);
    if (group === undefined) {
      group = { pattern, values: [] };
      this.#patterns.set(pattern.source, group);
      this.file.patterns.push(group);
    }
    group.values.push(value);
  }

  /** RFC 1034 §3.6.2: a name with a CNAME holds nothing else (and only one CNAME). */
  #claim(owner: string, type: number, token: Token, line: number): void {
    const seen = this.#owners.get(owner) ?? {};
    const clash = type === RType.CNAME ? (seen.cname ?? seen.other) : seen.cname;
    if (clash !== undefined) {
      throw new LineError(
        `${owner} has a CNAME and other records (the other is on line ${clash}): ` +
          "a name with a CNAME holds nothing else",
        token.column,
      );
    }
    if (type === RType.CNAME) seen.cname = line;
    else seen.other ??= line;
    this.#owners.set(owner, seen);
  }

  #cut(name: string, kind: string, token: Token, line: number): void {
    const earlier = this.#cuts.get(name);
    if (earlier) {
      throw new LineError(
        `${name} is already ${earlier.kind} (line ${earlier.line})`,
        token.column,
      );
    }
    this.#cuts.set(name, { kind, line });
  }

  /** Upstream URLs separated by blanks or commas. */
  #upstreams(tokens: Token[], typeToken: Token): UpstreamSpec[] {
    const specs: UpstreamSpec[] = [];
    for (const token of tokens) {
      let offset = 0;
      for (const part of token.text.split(",")) {
        const column = token.column + offset;
        offset += part.length + 1;
        if (part === "") continue;
        let spec: UpstreamSpec;
        try {
          spec = parseUpstreamUrl(part);
        } catch (error) {
          throw new LineError((error as Error).message, column);
        }
        if (spec.protocol === "udp" && !this.#udp) {
          throw new LineError(
            `${part} needs UDP, which this runtime lacks (Deno Deploy); use tls:// or https://`,
            column,
          );
        }
        specs.push(spec);
      }
    }
    if (specs.length === 0) {
      throw new LineError(
        "FORWARD needs at least one upstream URL",
        typeToken.column + typeToken.text.length,
      );
    }
    return specs;
  }
}

/** Seconds, or BIND-style units: `300`, `5m`, `1h30m`, `1d`. */
function ttl(token: Token): number {
  const text = token.text.toLowerCase();
  if (!TTL.test(text)) {
    throw new LineError(
      `"${token.text}" is not a TTL: expected seconds or e.g. 5m, 1h, 1d`,
      token.column,
    );
  }
  let seconds = 0;
  if (/^\d+$/.test(text)) seconds = Number(text);
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhdw])/g)) {
    seconds += Number(amount) * TTL_UNITS[unit];
  }
  if (seconds > MAX_TTL) {
    throw new LineError(`the TTL ${token.text} is over ${MAX_TTL} seconds`, token.column);
  }
  return seconds;
}

function unknownType(token: Token): LineError {
  const known = parseTypeName(token.text) !== undefined && !/^\d+$/.test(token.text);
  const types = [...RECORD_TYPES.keys()].join(", ");
  return new LineError(
    known
      ? `${token.text.toUpperCase()} records are not served from the records file: use ${types}`
      : `expected a record type (${types}, ZONE or FORWARD), found "${token.text}"`,
    token.column,
  );
}
