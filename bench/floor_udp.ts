/**
 * The runtime floor for DNS over UDP: one Deno socket that answers every datagram with one
 * fixed DNS message, only its ID patched to the query's (or dnsperf would not count it). No
 * DNS work at all: the gateway's cached UDP answers are reported as a ratio to this. Run by
 * bench/all.ts (deno task bench:all), not by hand:
 *   deno run --unstable-net --allow-net --allow-env bench/floor_udp.ts
 * env: PORT, ANSWER_BASE64 (the fixed answer).
 */
const answer = Uint8Array.fromBase64(Deno.env.get("ANSWER_BASE64") ?? "");
const socket = Deno.listenDatagram({
  transport: "udp",
  hostname: "127.0.0.1",
  port: Number(Deno.env.get("PORT") ?? 0),
});
console.error(`floor listening on ${(socket.addr as Deno.NetAddr).port}`);
const buffer = new Uint8Array(65_535);
while (true) {
  const [query, peer] = await socket.receive(buffer);
  const reply = answer.slice();
  reply[0] = query[0];
  reply[1] = query[1];
  socket.send(reply, peer).catch(() => {});
}
