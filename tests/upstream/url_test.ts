/** Upstream URLs: what each spelling means, and one clear line for each wrong one. */
import assert from "node:assert/strict";
import { parseUpstreamUrl, UpstreamUrlError } from "../../upstream/url.ts";

Deno.test("parseUpstreamUrl() fills in default ports and paths and normalises the URL", () => {
  const cases: [string, string, string, number, string][] = [
    ["udp://9.9.9.9", "udp", "9.9.9.9", 53, "udp://9.9.9.9:53"],
    ["UDP://9.9.9.9:5353", "udp", "9.9.9.9", 5353, "udp://9.9.9.9:5353"],
    ["tcp://[2620:fe::fe]", "tcp", "2620:fe::fe", 53, "tcp://[2620:fe::fe]:53"],
    ["tls://9.9.9.9", "tls", "9.9.9.9", 853, "tls://9.9.9.9:853"],
    ["tls://dns.quad9.net:8853", "tls", "dns.quad9.net", 8853, "tls://dns.quad9.net:8853"],
    [
      "https://dns.quad9.net/dns-query",
      "https",
      "dns.quad9.net",
      443,
      "https://dns.quad9.net:443/dns-query",
    ],
    ["https://Dns.Example", "https", "dns.example", 443, "https://dns.example:443/dns-query"],
    ["http://127.0.0.1:8053/q?x=1", "http", "127.0.0.1", 8053, "http://127.0.0.1:8053/q?x=1"],
    ["  udp://1.1.1.1  ", "udp", "1.1.1.1", 53, "udp://1.1.1.1:53"],
  ];
  for (const [text, protocol, host, port, url] of cases) {
    const spec = parseUpstreamUrl(text);
    assert.deepEqual([spec.protocol, spec.host, spec.port, spec.url], [protocol, host, port, url]);
  }
});

Deno.test("parseUpstreamUrl() rejects bad URLs with one line saying what is wrong", () => {
  const cases: [string, RegExp][] = [
    ["9.9.9.9", /not a URL/],
    ["ftp://9.9.9.9", /unknown scheme "ftp"/],
    ["udp://", /host is missing/],
    ["udp://9.9.9.9:0", /port "0" is not a number from 1 to 65535/],
    ["udp://9.9.9.9:99999", /port "99999"/],
    ["udp://9.9.9.9:", /port is empty/],
    ["udp://999.1.1.1", /not an IPv4 address/],
    ["udp://[zz::1]", /not an IPv6 address/],
    ["udp://dns.quad9.net", /needs an IP address/],
    ["tcp://9.9.9.9/path", /a path is not allowed/],
    ["https://user:pw@dns.example", /credentials/],
    ["https://dns.example/#x", /fragment/],
    ["https://bad_host-.example", /not a valid host name/],
  ];
  for (const [text, expected] of cases) {
    assert.throws(() => parseUpstreamUrl(text), (error: Error) => {
      assert.ok(error instanceof UpstreamUrlError, text);
      assert.match(error.message, expected, text);
      assert.match(error.message, /^invalid upstream ".*": .*; expected udp:\/\//);
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  }
});
