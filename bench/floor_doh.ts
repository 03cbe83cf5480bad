/**
 * The runtime floor for DoH: a bare Deno.serve that answers every request with one fixed DNS
 * message, doing no DNS work at all: it reads what was asked (the URL; a POST's body) and
 * nothing more. Whatever the gateway does costs on top of this, so cached answers are reported
 * as a ratio to it. Run by bench/all.ts (deno task bench:all), not by hand:
 *   deno run --allow-net --allow-read --allow-env bench/floor_doh.ts
 * env: PORT, TLS_CERT/TLS_KEY (optional), ANSWER_BASE64 (the fixed answer).
 */
const answer = Uint8Array.fromBase64(Deno.env.get("ANSWER_BASE64") ?? "");
const certFile = Deno.env.get("TLS_CERT");
const keyFile = Deno.env.get("TLS_KEY");
const tls = certFile && keyFile
  ? { cert: Deno.readTextFileSync(certFile), key: Deno.readTextFileSync(keyFile) }
  : {};

Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.env.get("PORT") ?? 0),
  ...tls,
  onListen: ({ port }) => console.error(`floor listening on ${port}`),
}, async (request) => {
  // The least any DoH server does before it can answer: see what was asked (the path and, for
  // GET, the dns parameter are in the URL; on h2, reading it is ~1 µs, ~6 % of this floor's
  // answer) and, for POST, read the body.
  void request.url;
  if (request.method === "POST") await request.arrayBuffer();
  return new Response(answer, {
    headers: { "content-type": "application/dns-message", "cache-control": "max-age=300" },
  });
});
