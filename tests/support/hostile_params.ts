/**
 * Hostile query strings for the JSON API (`/resolve?name=&type=&do=&cd=&ct=`), seeded: names
 * that are too long, have empty or oversize labels, escapes, control characters, other scripts,
 * bytes that are not UTF-8; types out of range, negative, in hex or exponent form; flags that
 * are no flags; repeated and unknown parameters. Each value is percent-encoded byte by byte, so
 * whatever bytes were chosen reach the server as they are.
 */
import type { Random } from "./random_messages.ts";
import { randomName } from "./random_messages.ts";
import { TEST_ZONE } from "./test_zone.ts";

const encoder = new TextEncoder();

/** Every byte as %XX, except unreserved characters (RFC 3986), kept readable. */
function percent(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
}

const text = (value: string) => percent(encoder.encode(value));

const ODD_NAMES = [
  "",
  ".",
  "..",
  "a..b",
  `.${TEST_ZONE}`,
  `www.${TEST_ZONE}..`,
  "a\\.b.example",
  "\\065\\066.example",
  "\\999.example",
  "\\",
  "*",
  "*.example",
  "_.example",
  "-a-.example",
  "xn--.example",
  "xn--zz-9zz.example",
  "bücher.example",
  "例え.テスト",
  "😀.example",
  "a b.example",
  "a\tb.example",
  "a\u0000b.example",
  "192.0.2.1",
  "[::1]",
  "localhost",
  "%00",
  "%%",
  "name=other",
];

function hostileName(random: Random): string {
  switch (random.int(6)) {
    case 0:
      return text(random.pick(ODD_NAMES));
    case 1: // a label of 63, 64 or far more octets
      return text(`${"a".repeat(random.pick([63, 64, 255, 1000]))}.example`);
    case 2: // a name of 253, 254, 255 or far more octets
      return text(
        Array.from({ length: random.pick([4, 5, 20, 90]) }, () => "b".repeat(62)).join(".")
          .slice(0, random.pick([253, 254, 255, 256, 5000])),
      );
    case 3: // bytes at random, UTF-8 or not
      return percent(random.bytes(random.int(40)));
    case 4: // a real name, in the test zone or not, maybe with a trailing dot and odd case
      return text(
        (random.bool() ? `www.${TEST_ZONE}` : randomName(random) || "example") +
          (random.bool() ? "." : ""),
      ).toUpperCase();
    default:
      return text(randomName(random));
  }
}

const ODD_TYPES = [
  "A",
  "aaaa",
  "ANY",
  "TYPE65534",
  "TYPE99999",
  "TYPE",
  "0",
  "1",
  "65535",
  "65536",
  "-1",
  "1e3",
  "0x1c",
  " 1",
  "1.5",
  "",
  "9".repeat(400),
  "NaN",
  "__proto__",
  "constructor",
];
const FLAGS = ["", "0", "1", "true", "false", "yes", "TRUE", "2", "-0", "%00"];

/** A path and query string for the JSON API, and whether to ask with `accept: application/dns-json`. */
export function hostileJsonRequest(random: Random): { path: string; accept: boolean } {
  const params: string[] = [];
  if (random.bool(0.95)) params.push(`name=${hostileName(random)}`);
  if (random.bool(0.8)) {
    params.push(
      `type=${random.bool(0.7) ? text(random.pick(ODD_TYPES)) : percent(random.bytes(6))}`,
    );
  }
  for (const flag of ["do", "cd"]) {
    if (random.bool(0.3)) params.push(`${flag}=${text(random.pick(FLAGS))}`);
  }
  if (random.bool(0.1)) params.push(`ct=${text(random.pick(["application/dns-message", "x"]))}`);
  if (random.bool(0.1)) params.push(`name=${hostileName(random)}`);
  if (random.bool(0.1)) {
    params.push(random.pick(["edns_client_subnet=0/0", "random_padding=x", "=", "&&", "x"]));
  }
  const accept = random.bool(0.3);
  return { path: `${accept ? "/dns-query" : "/resolve"}?${params.join("&")}`, accept };
}
