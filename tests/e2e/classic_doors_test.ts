/**
 * The classic doors of the real gateway — DNS over UDP, TCP and TLS — in front of a real knot,
 * asked by dig and kdig: the same answers as knot gives, truncation to the client's size over
 * UDP with the whole answer over TCP, and malformed queries answered FORMERR or not at all.
 */
import assert from "node:assert/strict";
import { decodeMessage, Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { run } from "../support/tools.ts";
import { doorPort, tcpClient, udpExchange } from "../support/dns_clients.ts";
import { makeQuery } from "../support/dns_query.ts";
import { startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { withKnotGateway } from "../support/knot_gateway.ts";
import { TEST_ZONE } from "../support/test_zone.ts";
import { makeCertificate, tlsEnv } from "../support/tls.ts";
import { freeDnsPort } from "../support/ports.ts";

const CASES: [string, string][] = [
  [`www.${TEST_ZONE}`, "A"],
  [`www.${TEST_ZONE}`, "AAAA"],
  [TEST_ZONE, "MX"],
  [`multi.${TEST_ZONE}`, "TXT"],
  [`_sip._tcp.${TEST_ZONE}`, "SRV"],
  [`alias.${TEST_ZONE}`, "CNAME"],
];

/** Header 12 + question "big.test.example" TXT 22; each `big` TXT record 213; OPT 11. */
const BIG_BEFORE_RECORDS = 34;
const BIG_RECORD = 213;
const OPT = 11;

const lines = (text: string) => text.split("\n").map((l) => l.trim()).filter((l) => l).sort();

Deno.test({
  name: "dig and kdig get knot's answers through the UDP, TCP and TLS doors",
  ...integration(["knotd", "kdig", "dig", "openssl"]),
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "doors-e2e-" });
    const knot = await startKnot();
    const cert = await makeCertificate(dir);
    // UDP and TCP on one port, as on port 53: clients retry a truncated answer there.
    const port = String(freeDnsPort());
    const gateway = await startGateway({
      env: {
        UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
        // Cuts to the client's EDNS size, as a client that proved its address sees them
        // (udp_amplification_test.ts shows the cut for the others).
        UDP_UNPROVEN_MAX_SIZE: "4096",
        UDP_PORT: port,
        TCP_PORT: port,
        DOT_PORT: "0",
        ...tlsEnv(cert),
      },
    });
    const at = (
      door: "UDP" | "TCP" | "TLS",
    ) => ["@127.0.0.1", "-p", String(doorPort(gateway, door))];
    const tls = [`+tls-ca=${cert.certFile}`, "+tls-hostname=localhost"];
    try {
      const clients: [string, string, string[]][] = [
        ["dig over UDP", "dig", [...at("UDP"), "+notcp"]],
        ["dig over TCP", "dig", [...at("TCP"), "+tcp"]],
        ["kdig over UDP", "kdig", [...at("UDP"), "+notcp"]],
        ["kdig over TCP", "kdig", [...at("TCP"), "+tcp"]],
        ["kdig over TLS", "kdig", [...at("TLS"), ...tls]],
        ["dig over TLS", "dig", [...at("TLS"), ...tls]],
      ];
      const direct = ["@127.0.0.1", "-p", String(knot.port), "+tcp", "+short"];
      for (const [title, command, args] of clients) {
        await t.step(`${title} gets every answer as knot gives it`, async () => {
          for (const [name, type] of CASES) {
            const want = lines(await run(command, [...direct, name, type]));
            assert.ok(want.length > 0);
            assert.deepEqual(lines(await run(command, [...args, "+short", name, type])), want);
          }
        });
      }

      await t.step("the query log names each door and the client's address", async () => {
        const log = await gateway.waitForStdout(/"door":"dot"/);
        for (const door of ["udp", "tcp", "dot"]) {
          assert.match(log, new RegExp(`"client":"127\\.0\\.0\\.1","door":"${door}"`));
        }
      });

      const big = `big.${TEST_ZONE}`;
      const received = (output: string) => Number(/MSG SIZE\s+rcvd: (\d+)/.exec(output)?.[1]);
      const answers = (output: string) => Number(/ANSWER: (\d+)/.exec(output)?.[1]);
      const truncations: [string, string[], number, number][] = [
        // [what, dig options, records that fit, bytes]
        ["without EDNS, 512 bytes", ["+noedns"], 2, BIG_BEFORE_RECORDS + 2 * BIG_RECORD],
        ["with EDNS 600", ["+bufsize=600"], 2, BIG_BEFORE_RECORDS + 2 * BIG_RECORD + OPT],
        ["with EDNS 900", ["+bufsize=900"], 4, BIG_BEFORE_RECORDS + 4 * BIG_RECORD + OPT],
        [
          "with EDNS 4096, capped at 1232",
          ["+bufsize=4096"],
          5,
          BIG_BEFORE_RECORDS + 5 * BIG_RECORD + OPT,
        ],
      ];
      for (const [what, options, records, bytes] of truncations) {
        await t.step(`a TXT set too big for UDP ${what} comes cut at a record, TC=1`, async () => {
          const output = await run("dig", [
            ...at("UDP"),
            "+notcp",
            "+ignore",
            // dig sends a cookie by default; the answer's would move the sizes below.
            "+nocookie",
            ...options,
            big,
            "TXT",
          ]);
          assert.match(output, /flags: [^;]*\btc\b/);
          assert.equal(answers(output), records);
          assert.equal(received(output), bytes);
        });
      }

      await t.step("kdig sees the same cut at its EDNS size", async () => {
        const output = await run("kdig", [
          ...at("UDP"),
          "+notcp",
          "+ignore",
          "+bufsize=900",
          big,
          "TXT",
        ]);
        assert.match(output, /Flags: [^;]*\btc\b/);
        assert.match(output, new RegExp(`Received ${BIG_BEFORE_RECORDS + 4 * BIG_RECORD + OPT} B`));
      });

      await t.step(
        "the same TXT set comes whole over TCP, asked directly or after TC=1",
        async () => {
          const want = lines(await run("dig", [...direct, big, "TXT"]));
          assert.equal(want.length, 8);
          const overTcp = await run("dig", [...at("TCP"), "+tcp", big, "TXT"]);
          assert.doesNotMatch(overTcp, /flags: [^;]*\btc\b/);
          assert.equal(answers(overTcp), 8);
          for (const command of ["dig", "kdig"]) {
            // Without +ignore, both retry over TCP on the same port when the answer has TC=1.
            const retried = await run(command, [...at("UDP"), "+noedns", "+short", big, "TXT"]);
            assert.deepEqual(lines(retried), want, command);
          }
        },
      );
    } finally {
      await gateway.stop();
      await knot.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "malformed queries get FORMERR when their header is readable, and silence or a close otherwise",
  ...integration(["knotd"]),
  async fn(t) {
    await withKnotGateway({ env: { UDP_PORT: "0", TCP_PORT: "0" } }, async (gateway) => {
      const udp = doorPort(gateway, "UDP");
      // A header claiming one question, with half a name after it; RD set.
      const broken = new Uint8Array([0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 5, 0x61]);
      await t.step("a datagram shorter than a header gets nothing", async () => {
        assert.deepEqual(await udpExchange(udp, [new Uint8Array([1, 2, 3, 4, 5])]), []);
      });
      await t.step("a response gets nothing (no loops between servers)", async () => {
        const response = makeQuery(`www.${TEST_ZONE}`, RType.A, { id: 9 });
        response[2] |= 0x80;
        assert.deepEqual(await udpExchange(udp, [response]), []);
      });
      await t.step("a readable header with a broken question gets FORMERR and its ID", async () => {
        const [reply] = await udpExchange(udp, [broken]);
        assert.deepEqual([...reply], [0xab, 0xcd, 0x81, Rcode.FORMERR, 0, 0, 0, 0, 0, 0, 0, 0]);
      });
      await t.step("over TCP a broken query gets FORMERR and the connection goes on", async () => {
        const client = await tcpClient(doorPort(gateway, "TCP"));
        try {
          await client.send([broken, makeQuery(`www.${TEST_ZONE}`, RType.A, { id: 7 })]);
          const replies = (await client.receive(2)).map((r) => decodeMessage(r));
          const byId = new Map(replies.map((r) => [r.header.id, r]));
          assert.equal(byId.get(0xabcd)?.header.rcode, Rcode.FORMERR);
          assert.equal(byId.get(7)?.answers.length, 2);
        } finally {
          client.close();
        }
      });
      await t.step("over TCP a frame without a header ends the connection", async () => {
        const client = await tcpClient(doorPort(gateway, "TCP"));
        try {
          await client.send([makeQuery(`www.${TEST_ZONE}`, RType.A, { id: 8 }), new Uint8Array(5)]);
          assert.equal(decodeMessage((await client.receive(1))[0]).header.id, 8);
          assert.ok(await client.closedByServer());
        } finally {
          client.close();
        }
      });
    });
  },
});
