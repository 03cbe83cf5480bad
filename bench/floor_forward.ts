/**
 * The runtime floor for a miss: the least a forwarder does. A bare Deno.serve (DoH GET and POST)
 * and one Deno UDP socket take a query, send it as it came, with an ID of our own, in one UDP
 * datagram to the upstream, and answer with the upstream's reply, its ID set back to the
 * client's. Nothing else: no cache, no checks, no timeout (an unanswered query waits until its
 * client gives up; its ID is reused after 65,536 more, which bounds the table). The gateway's
 * misses are reported as a ratio to this, not to the fixed-bytes floors. Run by bench/all.ts
 * (deno task bench:all), not by hand:
 *   deno run --unstable-net --allow-net --allow-read --allow-env bench/floor_forward.ts
 * env: PORT (DoH), UDP_PORT, UPSTREAM_PORT (on 127.0.0.1), TLS_CERT/TLS_KEY (optional).
 */
const upstream: Deno.NetAddr = {
  transport: "udp",
  hostname: "127.0.0.1",
  port: Number(Deno.env.get("UPSTREAM_PORT")),
};
const certFile = Deno.env.get("TLS_CERT");
const keyFile = Deno.env.get("TLS_KEY");
const tls = certFile && keyFile
  ? { cert: Deno.readTextFileSync(certFile), key: Deno.readTextFileSync(keyFile) }
  : {};

/** Who waits for the upstream's reply to each ID of ours: the client's ID and where it goes. */
const waiting: (((reply: Uint8Array) => void) | undefined)[] = new Array(65_536);
let nextId = 0;
const out = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });

/** Sends `query` upstream under an ID of ours; `answer` gets the reply with the client's ID. */
function forward(query: Uint8Array, answer: (reply: Uint8Array) => void): void {
  const id = nextId;
  nextId = (nextId + 1) & 0xffff;
  const high = query[0];
  const low = query[1];
  waiting[id] = (reply) => {
    reply[0] = high;
    reply[1] = low;
    answer(reply);
  };
  query[0] = id >> 8;
  query[1] = id & 0xff;
  out.send(query, upstream).catch(() => {});
}

void (async () => {
  const buffer = new Uint8Array(65_535);
  while (true) {
    const [reply] = await out.receive(buffer);
    const id = (reply[0] << 8) | reply[1];
    const answer = waiting[id];
    if (answer === undefined) continue;
    waiting[id] = undefined;
    answer(reply.slice());
  }
})();

const doors = Deno.listenDatagram({
  transport: "udp",
  hostname: "127.0.0.1",
  port: Number(Deno.env.get("UDP_PORT") ?? 0),
});
void (async () => {
  const buffer = new Uint8Array(65_535);
  while (true) {
    const [query, peer] = await doors.receive(buffer);
    forward(query.slice(), (reply) => void doors.send(reply, peer).catch(() => {}));
  }
})();

Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.env.get("PORT") ?? 0),
  ...tls,
  onListen: ({ port }) => console.error(`floor listening on ${port}`),
}, async (request) => {
  const query = request.method === "POST"
    ? new Uint8Array(await request.arrayBuffer())
    : Uint8Array.fromBase64(new URL(request.url).searchParams.get("dns") ?? "", {
      alphabet: "base64url",
    });
  const reply = await new Promise<Uint8Array>((resolve) => forward(query, resolve));
  return new Response(reply as Uint8Array<ArrayBuffer>, {
    headers: { "content-type": "application/dns-message" },
  });
});
