/**
 * Addresses spelled as Deno spells a peer: RFC 5952 examples, the WHATWG URL serializer (the
 * same rules for IPv6 that is not IPv4-mapped) over random addresses, and Deno itself where a
 * socket can show it.
 */
import assert from "node:assert/strict";
import { ipv4Text, ipv6Text } from "../../net/address_text.ts";
import { parseAddress } from "../../net/cidr.ts";
import { Random } from "../support/random_messages.ts";

const spell = (text: string) => ipv6Text(parseAddress(text)!, 0);

Deno.test("ipv6Text() follows RFC 5952: longest zero run, first on a tie, no single-group ::", () => {
  const cases: [string, string][] = [
    ["0:0:0:0:0:0:0:0", "::"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["1:0:0:0:0:0:0:0", "1::"],
    ["2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["fe80::0a00:27ff:fe4e:66a1", "fe80::a00:27ff:fe4e:66a1"],
    ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
    ["::192.0.2.1", "::c000:201"],
  ];
  for (const [given, expected] of cases) assert.equal(spell(given), expected, given);
  assert.equal(ipv4Text(new Uint8Array([10, 0, 0, 255]), 0), "10.0.0.255");
});

Deno.test("ipv6Text() spells 20,000 random addresses as the URL serializer does", () => {
  const random = new Random(5952);
  for (let n = 0; n < 20_000; n++) {
    const bytes = new Uint8Array(16);
    // Mostly zero groups, so runs of every length and position come up.
    for (let i = 0; i < 16; i += 2) {
      if (random.int(3) !== 0) continue;
      bytes[i] = random.int(256);
      bytes[i + 1] = random.int(256);
    }
    const mapped = bytes.subarray(0, 12).every((b, i) => b === (i < 10 ? 0 : 0xff));
    if (mapped) continue; // URL writes those in hex, Deno dotted (see the test above)
    const ours = ipv6Text(bytes, 0);
    const url = new URL(`http://[${ours}]/`).hostname.slice(1, -1);
    assert.equal(ours, url);
    assert.deepEqual(parseAddress(ours), bytes, ours);
  }
});

Deno.test("ipv6Text() matches Deno's own spelling of the peers a loopback socket sees", async () => {
  const server = Deno.listenDatagram({ transport: "udp", hostname: "::", port: 0 });
  const port = (server.addr as Deno.NetAddr).port;
  try {
    for (const from of ["127.0.0.1", "::1"]) {
      let client: Deno.DatagramConn;
      try {
        client = Deno.listenDatagram({ transport: "udp", hostname: from, port: 0 });
      } catch {
        continue; // no IPv6 loopback here
      }
      try {
        await client.send(new Uint8Array([1]), { transport: "udp", hostname: from, port });
        const [, peer] = await server.receive();
        const seen = (peer as Deno.NetAddr).hostname;
        assert.equal(spell(seen), seen);
      } finally {
        client.close();
      }
    }
  } finally {
    server.close();
  }
});
