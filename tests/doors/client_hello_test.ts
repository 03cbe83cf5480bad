/**
 * The server name of a ClientHello (doors/client_hello.ts), read from what real clients send
 * first (kdig over GnuTLS, openssl s_client), and nothing but undefined from a hello cut
 * anywhere, from bytes that are no hello, or from a hello whose lengths lie.
 */
import assert from "node:assert/strict";
import { serverNameOf } from "../../doors/client_hello.ts";
import { integration } from "../support/binaries.ts";

/** The first bytes a client sends to a TCP listener that never answers, when told `args`. */
async function firstFlight(command: string, args: (port: number) => string[]): Promise<Uint8Array> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const child = new Deno.Command(command, {
    args: args(listener.addr.port),
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const conn = await listener.accept();
    const buffer = new Uint8Array(20_000);
    let length = 0;
    // Until the record is whole: its header says how long it is.
    while (length < 5 || length < 5 + ((buffer[3] << 8) | buffer[4])) {
      const read = await conn.read(buffer.subarray(length));
      if (read === null) break;
      length += read;
    }
    conn.close();
    return buffer.slice(0, length);
  } finally {
    listener.close();
    child.kill();
    await child.status;
  }
}

const clients: [string, string, (port: number) => string[]][] = [
  ["kdig", "kdig", (port) => [
    "@127.0.0.1",
    "-p",
    `${port}`,
    "+tls",
    "+tls-hostname=Kids-Tablet.dns.test",
    "+timeout=2",
    "+retry=0",
    "example.com",
  ]],
  ["openssl s_client", "openssl", (port) => [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-servername",
    "kids-tablet.dns.test",
  ]],
];

for (const [what, command, args] of clients) {
  Deno.test({
    name: `the server name ${what} asks for is read, and a cut hello gives none`,
    ...integration([command]),
    fn: async () => {
      const hello = await firstFlight(command, args);
      assert.equal(serverNameOf(hello), "kids-tablet.dns.test");
      // Cut anywhere before the name's end: never a throw, never a wrong name.
      const end = new TextDecoder("latin1").decode(hello).toLowerCase().indexOf("dns.test") + 8;
      for (let cut = 0; cut < end; cut++) {
        assert.equal(serverNameOf(hello.subarray(0, cut)), undefined, `cut at ${cut}`);
      }
      // Every length field claiming more than there is: still bounded by the bytes given.
      for (let at = 0; at < hello.length; at++) {
        const lying = hello.slice();
        lying[at] = 0xff;
        const name = serverNameOf(lying);
        assert.ok(name === undefined || typeof name === "string");
      }
    },
  });
}

Deno.test("bytes that are no ClientHello name nothing", () => {
  assert.equal(serverNameOf(new Uint8Array(0)), undefined);
  assert.equal(
    serverNameOf(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n")),
    undefined,
  );
  const random = new Uint8Array(4096);
  for (let round = 0; round < 200; round++) {
    crypto.getRandomValues(random);
    random[0] = 22;
    random[5] = 1;
    const name = serverNameOf(random);
    assert.ok(name === undefined || /^[\x21-\x7e]*$/.test(name));
  }
});
