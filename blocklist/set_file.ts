/**
 * A list's build as one file (shared_sets.ts keeps them): its two fingerprint sets' arrays,
 * laid out so that typed arrays over the file's bytes are the sets, with no copy and no parse,
 * then what else the parse gave (IP entries, rules, counts) as JSON. Written and read by the
 * same machine: the byte order is checked, not converted.
 *
 * Header, 128 bytes, 32-bit words in the machine's order:
 *   0  magic "DOHLSET\n" (8 bytes)   8 byte-order mark 0x01020304   12 format version
 *   16 header length   20 list kind (0 block, 1 allow)   24 JSON length
 *   28..68 per set (block, then allow): shift, entries, plain depths, wild depths, directory words
 *   68..84 the content id of the text it was built from   84..100 the checksum: the content id
 *   of the rest of the header and of the body's own content id, so no header word (a depth mask,
 *   a length) can change unseen
 * Body: per set, directory (u32), lows (u32), tags (u16, padded to 4 bytes); then the JSON.
 *
 * A file that is short, long, of another version or kind, built from other text, whose
 * directory runs backwards or past its entries, whose extras are not an object, or that does not
 * hash to its checksum is refused with the reason, and the list is built again.
 */
import type { EntryKind } from "./blocklist.ts";
import { contentId } from "./content_id.ts";
import { DomainSet, type DomainSetParts } from "./domain_set.ts";
import type { IpEntries } from "./ip_entry.ts";
import type { ListRule } from "./list_rule.ts";
import type { ListSets } from "./list_sets.ts";
import type { InvalidLine } from "./parse.ts";

/** Moves whenever the layout or what the sets mean changes: older files are then rebuilt. */
export const SET_FILE_VERSION = 2;

const MAGIC = new TextEncoder().encode("DOHLSET\n");
const BYTE_ORDER = 0x01020304;
const HEADER_BYTES = 128;
/** The header's length: what `decodeSetFile` compares with the header the caller wrote. */
export const SET_FILE_HEADER_BYTES = HEADER_BYTES;
const ID_CHARS = 16;
const TEXT_ID_AT = 68;
const CHECKSUM_AT = 84;
const SET_WORDS = 5;
const KINDS: readonly EntryKind[] = ["block", "allow"];

/** What the parse gave besides the names, as the store and the sync's report need it. */
export interface ListExtras {
  ips?: IpEntries;
  rules?: ListRule[];
  skippedModifiers?: Record<string, number>;
  invalid?: { count: number; examples: InvalidLine[] };
}

export interface StoredList {
  sets: ListSets;
  extras: ListExtras;
}

/** Bytes of a set's arrays in the body, the tags padded to 4 bytes. */
function setBytes(parts: DomainSetParts): number {
  return parts.directory.byteLength + parts.size * 4 + align4(parts.size * 2);
}

function align4(bytes: number): number {
  return (bytes + 3) & ~3;
}

/**
 * The file's bytes for a list of `kind` built from text whose content id is `textId`.
 */
export async function encodeSetFile(
  kind: EntryKind,
  textId: string,
  stored: StoredList,
): Promise<Uint8Array<ArrayBuffer>> {
  const parts = [stored.sets.block.parts(), stored.sets.allow.parts()];
  const json = new TextEncoder().encode(JSON.stringify(stored.extras));
  const bodyBytes = parts.reduce((sum, p) => sum + setBytes(p), 0) + json.length;
  const file = new Uint8Array(HEADER_BYTES + bodyBytes);
  const words = new Uint32Array(file.buffer, 0, HEADER_BYTES / 4);
  file.set(MAGIC, 0);
  words.set([BYTE_ORDER, SET_FILE_VERSION, HEADER_BYTES, KINDS.indexOf(kind), json.length], 2);
  let at = HEADER_BYTES;
  parts.forEach((p, i) => {
    words.set(
      [p.shift, p.size, p.plainDepths, p.wildDepths, p.directory.length],
      7 + i * SET_WORDS,
    );
    for (const array of [p.directory, p.lows, p.tags]) {
      file.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), at);
      at += align4(array.byteLength);
    }
  });
  file.set(json, at);
  writeId(file, TEXT_ID_AT, textId);
  writeId(file, CHECKSUM_AT, await checksum(file));
  return file;
}

/**
 * The list stored in `file` (mapped or read: its sets are views of it, never copies), or why it
 * cannot be used for a list of `kind` built from text `textId`. `written`: the header of the
 * bytes this process has just encoded and written; a file with that very header (checksum
 * included) is the one written, and its body is not hashed again.
 */
export async function decodeSetFile(
  file: Uint8Array<ArrayBuffer>,
  kind: EntryKind,
  textId: string,
  written?: Uint8Array,
): Promise<StoredList | string> {
  if (file.byteLength < HEADER_BYTES || file.byteOffset % 4 !== 0) return "shorter than a header";
  if (!MAGIC.every((byte, i) => file[i] === byte)) return "not a stored set";
  const words = new Uint32Array(file.buffer, file.byteOffset, HEADER_BYTES / 4);
  if (words[2] !== BYTE_ORDER) return "written in another byte order";
  if (words[3] !== SET_FILE_VERSION) return `format version ${words[3]}`;
  if (words[4] !== HEADER_BYTES || words[5] !== KINDS.indexOf(kind)) return "another layout";
  if (readId(file, TEXT_ID_AT) !== textId) return "built from other text";
  const parts: DomainSetParts[] = [];
  let at = HEADER_BYTES;
  for (let i = 0; i < KINDS.length; i++) {
    const [shift, size, plainDepths, wildDepths, directoryWords] = words.subarray(
      7 + i * SET_WORDS,
      7 + (i + 1) * SET_WORDS,
    );
    if (shift < 0 || shift > 31 || directoryWords !== 2 ** (32 - shift) + 1) {
      return "a directory of the wrong size";
    }
    const end = at + directoryWords * 4 + size * 4 + align4(size * 2);
    if (end > file.byteLength) return "shorter than its sets";
    const view = <T>(
      make: new (b: ArrayBuffer, o: number, n: number) => T,
      n: number,
      each: number,
    ) => {
      const array = new make(file.buffer, file.byteOffset + at, n);
      at += align4(n * each);
      return array;
    };
    const directory = view(Uint32Array, directoryWords, 4);
    const lows = view(Uint32Array, size, 4);
    const tags = view(Uint16Array, size, 2);
    if (directory[0] !== 0 || directory[directoryWords - 1] !== size) return "a broken directory";
    // A bucket that ran backwards or past the entries would read outside them (or for ever).
    for (let b = 1; b < directoryWords; b++) {
      if (directory[b] < directory[b - 1]) return "a broken directory";
    }
    parts.push({ shift, directory, lows, tags, size, plainDepths, wildDepths });
  }
  if (at + words[6] !== file.byteLength) return "of the wrong length";
  const own = written !== undefined && written.length === HEADER_BYTES &&
    written.every((byte, i) => file[i] === byte);
  if (!own && readId(file, CHECKSUM_AT) !== await checksum(file)) {
    return "its checksum does not match";
  }
  let extras: ListExtras;
  try {
    extras = JSON.parse(new TextDecoder().decode(file.subarray(at)));
  } catch {
    return "its extras are not JSON";
  }
  if (typeof extras !== "object" || extras === null || Array.isArray(extras)) {
    return "its extras are not an object";
  }
  const [block, allow] = parts.map((p) => DomainSet.fromParts(p));
  return { sets: { block, allow }, extras };
}

/** The header's checksum: the content id of the header (all but the checksum) and the body's. */
async function checksum(file: Uint8Array<ArrayBuffer>): Promise<string> {
  const body = new TextEncoder().encode(await contentId(file.subarray(HEADER_BYTES)));
  const summed = new Uint8Array(HEADER_BYTES - ID_CHARS + body.length);
  summed.set(file.subarray(0, CHECKSUM_AT));
  summed.set(file.subarray(CHECKSUM_AT + ID_CHARS, HEADER_BYTES), CHECKSUM_AT);
  summed.set(body, HEADER_BYTES - ID_CHARS);
  return await contentId(summed);
}

function writeId(file: Uint8Array, at: number, id: string): void {
  const bytes = new TextEncoder().encode(id.padEnd(ID_CHARS).slice(0, ID_CHARS));
  file.set(bytes, at);
}

function readId(file: Uint8Array, at: number): string {
  return new TextDecoder().decode(file.subarray(at, at + ID_CHARS)).trimEnd();
}
