/**
 * The zone the test upstream (knot) serves: one owner name per record type the gateway must
 * carry intact, plus a TXT set too big for a 1232-byte UDP answer (so knot truncates and the
 * gateway must retry over TCP). The DNSSEC records are pre-signed-looking data, served as is:
 * knot does not sign or validate them, and the gateway only has to pass them through.
 *
 * Its addresses are documentation addresses (192.0.2.0/24, 2001:db8::/32, RFC 5737 and 3849):
 * a public name answered with a loopback or private address is refused by the gateway's DNS
 * rebinding protection, on by default. A test whose clients must reach a server of its own on
 * loopback gives `httpAddress` and its gateway REBIND_ALLOW for the zone.
 */

export const TEST_ZONE = "test.example";

export interface TestZoneOptions {
  /** Zone origin, without trailing dot; TEST_ZONE by default. */
  origin?: string;
  /** First A address of `www`, e.g. where a test web server listens; 192.0.2.1 by default. */
  httpAddress?: string;
}

/** One owner (relative to the origin, "" for the apex) of every record type the test zone holds. */
export const TEST_ZONE_TYPES: [string, string][] = [
  ["www", "A"],
  ["www", "AAAA"],
  ["alias", "CNAME"],
  ["", "NS"],
  ["", "SOA"],
  ["", "MX"],
  ["", "TXT"],
  ["multi", "TXT"],
  ["_sip._tcp", "SRV"],
  ["", "CAA"],
  ["", "HTTPS"],
  ["svc", "SVCB"],
  ["", "DS"],
  ["", "DNSKEY"],
  ["", "RRSIG"],
  ["", "NSEC"],
  ["ptr", "PTR"],
  ["opaque", "TYPE65280"],
];

/** Each string in `big`'s TXT set; 8 records × ~200 bytes is well over 1232 bytes. */
const BIG_RECORDS = 8;
const BIG_STRING_LENGTH = 200;

/** A fixed 64-byte ECDSA P-256-shaped public key and signature, base64 (not a real key). */
const KEY_BASE64 = btoa(String.fromCharCode(...Array.from({ length: 64 }, (_, i) => i + 1)));
const SIGNATURE_BASE64 = btoa(
  String.fromCharCode(...Array.from({ length: 64 }, (_, i) => 255 - i)),
);

/** Zone file text for `origin`, loadable by knotd. */
export function testZoneText(options: TestZoneOptions = {}): string {
  const origin = options.origin ?? TEST_ZONE;
  const httpAddress = options.httpAddress ?? "192.0.2.1";
  const big = Array.from(
    { length: BIG_RECORDS },
    (_, i) => `big TXT "${String(i).padStart(2, "0")}${"x".repeat(BIG_STRING_LENGTH - 2)}"`,
  );
  return [
    `$ORIGIN ${origin}.`,
    "$TTL 300",
    "@ SOA ns1 hostmaster 2024010101 3600 600 86400 60",
    "@ NS ns1",
    "@ MX 10 mail",
    '@ TXT "v=spf1 -all"',
    '@ CAA 0 issue "letsencrypt.org"',
    `@ HTTPS 1 . alpn=h2,h3 port=443 ipv4hint=${ipv4Hint(httpAddress)}`,
    "@ DS 12345 13 2 " + "ab".repeat(32),
    `@ DNSKEY 257 3 13 ${KEY_BASE64}`,
    `@ RRSIG SOA 13 2 300 20300101000000 20240101000000 12345 ${origin}. ${SIGNATURE_BASE64}`,
    "@ NSEC _sip._tcp A NS SOA MX TXT RRSIG NSEC DNSKEY DS CAA HTTPS",
    "ns1 A 192.0.2.53",
    "mail A 192.0.2.25",
    `www A ${httpAddress}`,
    "www A 192.0.2.2",
    "www AAAA 2001:db8::1",
    "alias CNAME www",
    'multi TXT "first string" "second string" "third string"',
    "_sip._tcp SRV 10 60 5060 www",
    "svc SVCB 1 www alpn=h2 port=8443",
    "ptr PTR www",
    // A one-second TTL, so cache tests can see an entry expire without waiting long.
    "short 1 A 192.0.2.9",
    "opaque TYPE65280 \\# 4 0a0b0c0d",
    ...big,
    "",
  ].join("\n");
}

/** ipv4hint needs an IPv4 address; fall back to the default when given something else. */
function ipv4Hint(address: string): string {
  return /^\d+\.\d+\.\d+\.\d+$/.test(address) ? address : "192.0.2.1";
}

/** Zone file text for TEST_ZONE with only its SOA, NS and `ns1`, and then `records`. */
export function smallZoneText(records: string[]): string {
  return [
    `$ORIGIN ${TEST_ZONE}.`,
    "$TTL 300",
    "@ SOA ns1 hostmaster 2024010101 3600 600 86400 60",
    "@ NS ns1",
    "ns1 A 192.0.2.53",
    ...records,
    "",
  ].join("\n");
}
