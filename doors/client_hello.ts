/**
 * The server name a TLS client asks for (SNI, RFC 6066 §3), read from the first bytes it sends:
 * one TLS record holding the ClientHello (RFC 8446 §4.1.2; TLS 1.0 to 1.3 share its layout).
 * Only what is there is read, each length checked against what is left, so a short, cut or
 * hostile hello gives undefined and never a throw; a hello spread over several records gives
 * the name when the first holds it.
 */

const HANDSHAKE_RECORD = 22;
const CLIENT_HELLO = 1;
const SERVER_NAME_EXTENSION = 0;
const HOST_NAME = 0;
/** The longest DNS name in text, without a trailing dot. */
const MAX_NAME = 253;
/** Record header (5), handshake header (4), version (2) and random (32). */
const SESSION_ID_AT = 43;

/** The host name of the ClientHello that starts `bytes`, lower-cased; undefined if none. */
export function serverNameOf(bytes: Uint8Array): string | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length;
  if (end < SESSION_ID_AT + 1) return undefined;
  if (view.getUint8(0) !== HANDSHAKE_RECORD || view.getUint8(5) !== CLIENT_HELLO) return undefined;
  let at = SESSION_ID_AT;
  at += 1 + view.getUint8(at); // session ID
  if (at + 2 > end) return undefined;
  at += 2 + view.getUint16(at); // cipher suites
  if (at + 1 > end) return undefined;
  at += 1 + view.getUint8(at); // compression methods
  if (at + 2 > end) return undefined;
  const extensionsEnd = Math.min(end, at + 2 + view.getUint16(at));
  at += 2;
  while (at + 4 <= extensionsEnd) {
    const type = view.getUint16(at);
    const length = view.getUint16(at + 2);
    at += 4;
    if (type === SERVER_NAME_EXTENSION) return hostName(view, at, Math.min(at + length, end));
    at += length;
  }
  return undefined;
}

/** The first host_name entry of a server_name list between `at` and `end`. */
function hostName(view: DataView, at: number, end: number): string | undefined {
  if (at + 2 > end) return undefined;
  const listEnd = Math.min(end, at + 2 + view.getUint16(at));
  at += 2;
  while (at + 3 <= listEnd) {
    const type = view.getUint8(at);
    const length = view.getUint16(at + 1);
    at += 3;
    if (at + length > listEnd) return undefined;
    if (type === HOST_NAME) {
      if (length > MAX_NAME) return undefined;
      const name = new Uint8Array(view.buffer, view.byteOffset + at, length);
      // A host name is ASCII (RFC 6066 §3): anything else is no name of ours.
      if (name.some((byte) => byte <= 0x20 || byte >= 0x7f)) return undefined;
      return String.fromCharCode(...name).toLowerCase();
    }
    at += length;
  }
  return undefined;
}
