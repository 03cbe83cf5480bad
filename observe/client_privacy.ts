/**
 * What the query log says about who asked (LOG_CLIENT): the address as it is, a pseudonym,
 * or nothing. A pseudonym is a keyed hash (HMAC-SHA-256 with LOG_CLIENT_KEY, or a random key
 * per process), so one client's queries can be followed without the log holding its address,
 * and nobody without the key can test a guessed address against it. An HMAC per query would
 * outweigh the rest of its log line, so recent results are remembered (bounded).
 *
 * node:crypto (the only synchronous HMAC) is loaded only for "hash": loading it brings in
 * much of Node's compatibility layer, a visible share of the gateway's cold start.
 */

export type ClientLogMode = "address" | "hash" | "off";

const REMEMBERED = 4096;

export async function clientAnonymizer(
  mode: ClientLogMode,
  key?: string,
): Promise<(address: string) => string> {
  if (mode === "address") return (address) => address;
  if (mode === "off") return () => "";
  const { createHmac } = await import("node:crypto");
  const secret = key ?? randomHex(32);
  const remembered = new Map<string, string>();
  return (address) => {
    if (address === "") return "";
    let pseudonym = remembered.get(address);
    if (pseudonym === undefined) {
      pseudonym = createHmac("sha256", secret).update(address).digest("hex").slice(0, 16);
      if (remembered.size >= REMEMBERED) remembered.clear();
      remembered.set(address, pseudonym);
    }
    return pseudonym;
  };
}

function randomHex(bytes: number): string {
  return crypto.getRandomValues(new Uint8Array(bytes)).toHex();
}
