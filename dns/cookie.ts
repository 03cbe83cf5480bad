/**
 * DNS cookies on the wire (RFC 7873 §4): the COOKIE option holds an 8-byte client cookie,
 * then, once the server has given one, a server cookie of 8 to 32 bytes. A query whose
 * COOKIE option has any other length is malformed (§5.2.2: FORMERR). Making and checking
 * server cookies is the server's business; here are only the bytes.
 */
import { EdnsOptionCode } from "./constants.ts";
import { DnsWireError } from "./errors.ts";
import { additionalCount, hasHeader, OPT_FIXED, scanRecords } from "./view.ts";

export const CLIENT_COOKIE_SIZE = 8;
export const MIN_SERVER_COOKIE_SIZE = 8;
export const MAX_SERVER_COOKIE_SIZE = 32;

export interface QueryCookie {
  client: Uint8Array;
  /** Absent when the client has no server cookie of ours yet. */
  server?: Uint8Array;
}

/**
 * The COOKIE option of a query, undefined when it has none (or no OPT record). Throws
 * DnsWireError when the message is malformed or its COOKIE option has a length RFC 7873 does
 * not allow. The returned bytes are views into `query`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, DnsWireError, EdnsOptionCode, encodeMessage } from "./mod.ts";
 * import { queryCookie } from "./cookie.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const withCookieOption = (data: Uint8Array) =>
 *   encodeMessage({
 *     ...decodeMessage(query),
 *     edns: {
 *       udpSize: 1232,
 *       version: 0,
 *       dnssecOk: false,
 *       flags: 0,
 *       options: [{ code: EdnsOptionCode.COOKIE, data }],
 *     },
 *   });
 * const client = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
 * assert.deepEqual(queryCookie(withCookieOption(client)), { client });
 * const both = queryCookie(withCookieOption(new Uint8Array([...client, ...new Uint8Array(16)])));
 * assert.equal(both?.server?.length, 16);
 * assert.equal(queryCookie(query), undefined, "no OPT record, no cookie");
 * assert.throws(() => queryCookie(withCookieOption(new Uint8Array(5))), DnsWireError);
 * ```
 */
export function queryCookie(query: Uint8Array): QueryCookie | undefined {
  // No additional record, no OPT: the common stub query costs two byte reads.
  if (!hasHeader(query) || additionalCount(query) === 0) return undefined;
  const opt = scanRecords(query).opt;
  if (opt === undefined) return undefined;
  const u16 = (at: number) => (query[at] << 8) | query[at + 1];
  for (let at = opt.offset + OPT_FIXED; at + 4 <= opt.end;) {
    const code = u16(at);
    const size = u16(at + 2);
    const data = at + 4;
    if (data + size > opt.end) throw new DnsWireError("EDNS option runs past OPT", at);
    if (code === EdnsOptionCode.COOKIE) {
      const serverSize = size - CLIENT_COOKIE_SIZE;
      if (
        serverSize !== 0 &&
        (serverSize < MIN_SERVER_COOKIE_SIZE || serverSize > MAX_SERVER_COOKIE_SIZE)
      ) {
        throw new DnsWireError(`COOKIE option of ${size} bytes`, at);
      }
      const client = query.subarray(data, data + CLIENT_COOKIE_SIZE);
      if (serverSize === 0) return { client };
      return { client, server: query.subarray(data + CLIENT_COOKIE_SIZE, data + size) };
    }
    at = data + size;
  }
  return undefined;
}

/**
 * A copy of `reply` with a COOKIE option (client then server cookie) added to its OPT record,
 * which must end the message, as encoders write it; the reply itself, unchanged, when it has
 * no OPT there (a client without EDNS cannot be given a cookie). Throws DnsWireError on a
 * malformed message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, encodeReply } from "./mod.ts";
 * import { queryCookie, withCookie } from "./cookie.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const edns = { udpSize: 1232, version: 0, dnssecOk: false, flags: 0, options: [] };
 * const reply = encodeReply({ ...decodeMessage(query), edns });
 * const client = new Uint8Array(8).fill(1);
 * const server = new Uint8Array(16).fill(2);
 * const cookie = queryCookie(withCookie(reply, client, server));
 * assert.deepEqual(cookie, { client, server });
 * const plain = encodeReply(decodeMessage(query));
 * assert.equal(withCookie(plain, client, server), plain, "no OPT: no cookie can be given");
 * ```
 */
export function withCookie(reply: Uint8Array, client: Uint8Array, server: Uint8Array): Uint8Array {
  const opt = scanRecords(reply).opt;
  if (opt === undefined || opt.end !== reply.length) return reply;
  const size = client.length + server.length;
  const out = new Uint8Array(reply.length + 4 + size);
  out.set(reply);
  let at = reply.length;
  out[at++] = EdnsOptionCode.COOKIE >> 8;
  out[at++] = EdnsOptionCode.COOKIE & 0xff;
  out[at++] = size >> 8;
  out[at++] = size & 0xff;
  out.set(client, at);
  out.set(server, at + client.length);
  const rdlength = out.length - (opt.offset + OPT_FIXED);
  out[opt.offset + 9] = rdlength >> 8;
  out[opt.offset + 10] = rdlength & 0xff;
  return out;
}
