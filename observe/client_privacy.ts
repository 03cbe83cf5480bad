/**
 * What the query log says about who asked (LOG_CLIENT, or a profile's `log`): the address as
 * it is, a pseudonym, or nothing. A pseudonym is a keyed hash (HMAC-SHA-256 with
 * LOG_CLIENT_KEY, or a random key per process), so one client's queries can be followed
 * without the log holding its address, and nobody without the key can test a guessed address
 * against it. An HMAC per query would outweigh the rest of its log line, so recent results are
 * remembered (bounded).
 *
 * node:crypto (the only synchronous HMAC) is loaded only when a pseudonym is first needed:
 * loading it brings in much of Node's compatibility layer, a visible share of the gateway's
 * cold start.
 */

export type ClientLogMode = "address" | "hash" | "off";

const REMEMBERED = 4096;

/** node:crypto's createHmac, as much of it as is used (named here, not imported: see above). */
type Hmac = (
  algorithm: "sha256",
  key: string,
) => { update(data: string): { digest(encoding: "hex"): string } };

/** Keyed pseudonyms of addresses, one key for every mode and profile that asks for them. */
export class Pseudonyms {
  readonly #key: string | undefined;
  #secret = "";
  #hmac: Hmac | undefined;
  #loading: Promise<void> | undefined;
  readonly #remembered = new Map<string, string>();

  constructor(key?: string) {
    this.#key = key;
  }

  /** Loads node:crypto, once; pseudonyms can be made when it resolves. */
  load(): Promise<void> {
    return this.#loading ??= import("node:crypto").then(({ createHmac }) => {
      this.#secret = this.#key ?? randomHex(32);
      this.#hmac = createHmac;
    });
  }

  /**
   * The pseudonym of `address`. Until node:crypto has loaded (the first call starts it) it is
   * "": a profile that hashes is never logged with its address, even in its first lines.
   */
  of(address: string): string {
    if (address === "") return "";
    let pseudonym = this.#remembered.get(address);
    if (pseudonym !== undefined) return pseudonym;
    if (this.#hmac === undefined) {
      this.load().catch(() => {});
      return "";
    }
    pseudonym = this.#hmac("sha256", this.#secret).update(address).digest("hex").slice(0, 16);
    if (this.#remembered.size >= REMEMBERED) this.#remembered.clear();
    this.#remembered.set(address, pseudonym);
    return pseudonym;
  }
}

/** LOG_CLIENT's mode, and the pseudonyms that "hash" (there or in a profile) gives. */
export interface ClientPrivacy {
  readonly mode: ClientLogMode;
  readonly pseudonyms: Pseudonyms;
}

/** LOG_CLIENT, ready: with "hash", node:crypto is loaded before the first line is written. */
export async function clientPrivacy(mode: ClientLogMode, key?: string): Promise<ClientPrivacy> {
  const pseudonyms = new Pseudonyms(key);
  if (mode === "hash") await pseudonyms.load();
  return { mode, pseudonyms };
}

function randomHex(bytes: number): string {
  return crypto.getRandomValues(new Uint8Array(bytes)).toHex();
}
