/**
 * The classic doors with a restricted client directory (CLIENTS_ONLY): an address no range
 * maps gets silence over UDP (a REFUSED to a forged address would reflect) and REFUSED with
 * EDE 18 over TCP (the address is proven); each is counted per door, and a mapped address is
 * answered under its profile.
 */
import assert from "node:assert/strict";
import { decodeMessage, EdeCode, Rcode, RType } from "../../dns/mod.ts";
import { listenTcp } from "../../doors/tcp.ts";
import { UdpDoor } from "../../doors/udp.ts";
import { ClientRefusals } from "../../net/rate_limit.ts";
import { openLibc } from "../../runtime/libc_sockets.ts";
import { tcpClient } from "../support/dns_clients.ts";
import { makeQuery } from "../support/dns_query.ts";
import { extendedError } from "../support/ede.ts";
import { CLIENTS, profileResolver, SPLIT_NAME, testDirectory } from "../support/client_ids.ts";

openLibc();

/** 127.0.0.2 is the kids' tablet; 127.0.0.1 is no one the directory knows. */
const directory = () => testDirectory(true, { "127.0.0.2": CLIENTS["kids-tablet"] });

/** One query over UDP from `from`; the reply, or undefined after `waitMs` of silence. */
async function askUdp(port: number, from: string, waitMs = 300) {
  const client = Deno.listenDatagram({ transport: "udp", hostname: from, port: 0 });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await client.send(makeQuery(SPLIT_NAME, RType.A, { id: 7 }), {
      transport: "udp",
      hostname: "127.0.0.1",
      port,
    });
    const silence = new Promise<undefined>((resolve) =>
      timer = setTimeout(() => resolve(undefined), waitMs)
    );
    const reply = await Promise.race([client.receive().then(([bytes]) => bytes), silence]);
    return reply && decodeMessage(reply);
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

Deno.test("over UDP a stranger gets silence and is counted; a mapped address is answered by its profile", async () => {
  const refusals = new ClientRefusals();
  const dir = directory();
  const { resolver, calls } = profileResolver(dir);
  const door = new UdpDoor({
    hostname: "127.0.0.1",
    port: 0,
    maxSize: 1232,
    resolver,
    directory: dir,
    refusals,
  });
  try {
    assert.equal(await askUdp(door.addr.port, "127.0.0.1"), undefined, "silence");
    assert.equal(await askUdp(door.addr.port, "127.0.0.1"), undefined, "silence again");
    assert.equal(calls.resolve, 0, "nothing of a stranger's query reaches the resolver");
    assert.equal(refusals.counts.udp, 2);
    const kids = await askUdp(door.addr.port, "127.0.0.2", 2000);
    assert.equal(kids?.header.rcode, Rcode.NXDOMAIN, "the kids' profile");
    assert.equal(refusals.counts.udp, 2);
  } finally {
    await door.close();
  }
});

/** A TCP door over `dir`, refusals counted in `refusals`, until `body` is done. */
async function withTcpDoor(
  dir: ReturnType<typeof testDirectory>,
  refusals: ClientRefusals,
  body: (port: number, log: ReturnType<typeof profileResolver>["log"]) => Promise<void>,
) {
  const { resolver, log } = profileResolver(dir);
  const door = listenTcp({
    hostname: "127.0.0.1",
    port: 0,
    resolver,
    maxConnections: 10,
    maxPerClient: 10,
    idleTimeoutMs: 5000,
    maxInFlight: 10,
    directory: dir,
    refusals,
  });
  try {
    await body(door.addr.port, log);
  } finally {
    await door.close();
  }
}

/** One query over a fresh TCP connection, and the reply. */
async function askTcp(port: number, id: number) {
  const client = await tcpClient(port);
  try {
    await client.send([makeQuery(SPLIT_NAME, RType.A, { id, edns: {} })]);
    return decodeMessage((await client.receive(1))[0]);
  } finally {
    client.close();
  }
}

Deno.test("over TCP a stranger is REFUSED with EDE 18 and counted; a mapped address is answered", async () => {
  const refusals = new ClientRefusals();
  // 127.0.0.1, the test's address, is no one this directory knows.
  await withTcpDoor(directory(), refusals, async (port) => {
    for (const id of [1, 2]) {
      const refused = await askTcp(port, id);
      assert.equal(refused.header.rcode, Rcode.REFUSED);
      assert.equal(extendedError(refused)?.infoCode, EdeCode.PROHIBITED);
    }
    assert.equal(refusals.counts.tcp, 2);
  });
  // Here it is the kids' tablet.
  const mapped = testDirectory(true, { "127.0.0.1": CLIENTS["kids-tablet"] });
  await withTcpDoor(mapped, refusals, async (port, log) => {
    assert.equal((await askTcp(port, 3)).header.rcode, Rcode.NXDOMAIN);
    assert.equal(log.recent().at(-1)?.clientName, "Kids' tablet");
    assert.equal(refusals.counts.tcp, 2);
  });
});
