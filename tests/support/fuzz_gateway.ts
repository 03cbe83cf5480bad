/**
 * The gateway the doors fuzz runs against: the real process with every door open (HTTPS for
 * DoH and JSON, UDP, TCP, DoT), knot behind it, rate limits off (one address sends it all),
 * the query log written to /dev/null. After the run: a good query through every door must
 * still get knot's answer, stderr must hold nothing but the startup lines, and SIGTERM must
 * end the process with 0.
 */
import { decodeMessage, RType } from "../../dns/mod.ts";
import { doorPort, tcpClient, udpExchange } from "./dns_clients.ts";
import { makeQuery } from "./dns_query.ts";
import { dohFetch } from "./doh.ts";
import type { FuzzTarget } from "./door_fuzz.ts";
import { startGateway } from "./gateway.ts";
import { startKnot } from "./knot.ts";
import { TEST_ZONE } from "./test_zone.ts";
import { makeCertificate, tlsEnv } from "./tls.ts";
import { frame, FrameReader, writeAll } from "../../net/framing.ts";

export interface FuzzGateway {
  target: FuzzTarget;
  /**
   * Asks `www` of the test zone through every door; returns one line per door that did not
   * get knot's two addresses with the ID it sent (empty: all well).
   */
  goodQueries(): Promise<string[]>;
  /** What the process printed on stderr beyond its startup lines. */
  extraStderr(): string;
  /** SIGTERM; resolves with the exit code, and stops knot. */
  stop(): Promise<number>;
}

const GOOD = [{ address: "192.0.2.1" }, { address: "192.0.2.2" }];

export async function startFuzzGateway(): Promise<FuzzGateway> {
  const dir = await Deno.makeTempDir({ prefix: "doors-fuzz-" });
  const cert = await makeCertificate(dir);
  const knot = await startKnot();
  const gateway = await startGateway({
    env: {
      UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
      ...tlsEnv(cert),
      UDP_PORT: "0",
      TCP_PORT: "0",
      DOT_PORT: "0",
      UDP_RATE: "0",
      DOH_RATE: "0",
      // door_fuzz.ts waits a second longer than this for an answer before calling it missing.
      QUERY_TIMEOUT_MS: "1000",
      UPSTREAM_TIMEOUT_MS: "500",
    },
    stdout: "null",
  });
  const startup = gateway.stderr();
  const http = Deno.createHttpClient({ caCerts: [cert.cert] });
  const target: FuzzTarget = {
    url: `https://localhost:${gateway.port}`,
    http,
    udpPort: doorPort(gateway, "UDP"),
    tcpPort: doorPort(gateway, "TCP"),
    dotPort: doorPort(gateway, "TLS"),
    caCert: cert.cert,
  };
  return {
    target,
    goodQueries: () => goodQueries(target),
    extraStderr: () => gateway.stderr().slice(startup.length),
    async stop() {
      http.close();
      const code = await gateway.stop();
      await knot.stop();
      await Deno.remove(dir, { recursive: true });
      return code;
    },
  };
}

async function goodQueries(target: FuzzTarget): Promise<string[]> {
  const query = (id: number) => makeQuery(`www.${TEST_ZONE}`, RType.A, { id, edns: {} });
  const check = (door: string, id: number, reply: Uint8Array | undefined): string[] => {
    if (reply === undefined) return [`${door}: no answer`];
    const message = decodeMessage(reply);
    const addresses = JSON.stringify(message.answers.map((record) => record.data));
    return message.header.id === id && addresses === JSON.stringify(GOOD)
      ? []
      : [`${door}: ID ${message.header.id}, answers ${addresses}`];
  };
  const get = await dohFetch(target.url, query(1), { method: "GET", client: target.http });
  const post = await dohFetch(target.url, query(2), { client: target.http });
  const json = await fetch(`${target.url}/resolve?name=www.${TEST_ZONE}`, { client: target.http });
  const jsonAnswer = (await json.json()).Answer?.map((r: { data: string }) => r.data);
  const [udp] = await udpExchange(target.udpPort, [query(3)]);
  const tcp = await tcpClient(target.tcpPort);
  await tcp.send([query(4)]);
  const [tcpReply] = await tcp.receive(1);
  tcp.close();
  return [
    ...check("DoH GET", 1, new Uint8Array(await get.arrayBuffer())),
    ...check("DoH POST", 2, new Uint8Array(await post.arrayBuffer())),
    ...(JSON.stringify(jsonAnswer) === '["192.0.2.1","192.0.2.2"]'
      ? []
      : [`JSON: ${JSON.stringify(jsonAnswer)}`]),
    ...check("UDP", 3, udp),
    ...check("TCP", 4, tcpReply),
    ...check("DoT", 5, await dotQuery(target, query(5))),
  ];
}

async function dotQuery(target: FuzzTarget, query: Uint8Array): Promise<Uint8Array | undefined> {
  const conn = await Deno.connectTls({
    hostname: "localhost",
    port: target.dotPort,
    caCerts: [target.caCert],
    alpnProtocols: ["dot"],
  });
  const timer = setTimeout(() => conn.close(), 5000);
  try {
    await writeAll(conn, frame(query));
    return (await new FrameReader(conn).next()) ?? undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed by the timer
    }
  }
}
