/**
 * Gets a list's bytes (UTF-8 text, parsed as bytes: parse.ts): from a file, or over HTTP with a
 * disk copy (VM only) so that a restart without network still has its lists, and so that a copy
 * younger than the refresh interval is not downloaded again. Downloads are conditional
 * (If-None-Match / If-Modified-Since), time out, and stop at a size bound. A failed download
 * falls back to the disk copy, however old.
 *
 * The disk copy is `<dir>/<name>.txt` with `<name>.json` beside it ({url, etag,
 * lastModified, fetchedAt}); both are written to a temporary file and renamed into place, so
 * a crash never leaves half a list. Where nothing can be written (Deno Deploy, a read-only
 * directory) the copy is skipped and lists are fetched each time.
 */
import { atomicWrite } from "../runtime/atomic_write.ts";
import { freeNow } from "../runtime/free_now.ts";
import type { ListSource } from "./source.ts";

export interface FetchOptions {
  /** Directory of disk copies; undefined: none. */
  dir?: string;
  /** A disk copy younger than this is used without asking the server, milliseconds. */
  maxAgeMs: number;
  /** Ask the server even when the disk copy is fresh. */
  force?: boolean;
  /** Largest list accepted, bytes. */
  maxBytes: number;
  /** Longest a download may take, milliseconds. */
  timeoutMs: number;
  now?: () => number;
}

export interface FetchedList {
  /** The list as it came, undecoded. */
  bytes: Uint8Array<ArrayBuffer>;
  /** Where the text came from this time. */
  origin: "file" | "download" | "not-modified" | "disk-fresh" | "disk-fallback";
  /** Why the download failed, when the disk copy stood in for it. */
  error?: string;
}

interface CopyMeta {
  url: string;
  etag?: string;
  lastModified?: string;
  fetchedAt: number;
}

export class ListFetchError extends Error {
  override name = "ListFetchError";
}

export async function fetchList(source: ListSource, options: FetchOptions): Promise<FetchedList> {
  if (!/^https?:/.test(source.location)) {
    return { bytes: await readFileBounded(source.location, options.maxBytes), origin: "file" };
  }
  const now = options.now ?? Date.now;
  const copy = options.dir ? await readCopy(options.dir, source) : undefined;
  if (copy && !options.force && now() - copy.meta.fetchedAt < options.maxAgeMs) {
    return { bytes: copy.bytes, origin: "disk-fresh" };
  }
  try {
    const headers: Record<string, string> = {};
    if (copy?.meta.etag) headers["if-none-match"] = copy.meta.etag;
    if (copy?.meta.lastModified) headers["if-modified-since"] = copy.meta.lastModified;
    const response = await fetch(source.location, {
      headers,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (response.status === 304 && copy) {
      await response.body?.cancel();
      await writeCopy(options.dir!, source, copy.bytes, { ...copy.meta, fetchedAt: now() }, false);
      return { bytes: copy.bytes, origin: "not-modified" };
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new ListFetchError(`HTTP ${response.status} ${response.statusText}`.trim());
    }
    const bytes = await readBounded(response, options.maxBytes);
    if (options.dir) {
      await writeCopy(options.dir, source, bytes, {
        url: source.location,
        etag: response.headers.get("etag") ?? undefined,
        lastModified: response.headers.get("last-modified") ?? undefined,
        fetchedAt: now(),
      }, true);
    }
    return { bytes, origin: "download" };
  } catch (error) {
    const why = describe(error, options.timeoutMs);
    if (copy) return { bytes: copy.bytes, origin: "disk-fallback", error: why };
    throw new ListFetchError(`${source.location}: ${why}`, { cause: error });
  }
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return `no complete answer within ${timeoutMs} ms`;
  }
  const message = error instanceof Error ? error.message : String(error);
  // fetch says only "fetch failed"; the reason (DNS, refused, TLS) is in its cause, after
  // "error sending request for url (...): ".
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : "";
  const detail = cause.replace(/^error sending request for url \([^)]*\): /, "");
  return (detail ? `${message}: ${detail}` : message).split("\n", 1)[0];
}

/**
 * The body in one array, read into room for its declared length (or grown by doubling), so
 * the list is held once, as bytes: never as chunks and a copy of them, nor as a string.
 */
async function readBounded(response: Response, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new ListFetchError(`list is ${declared} bytes, over the ${maxBytes}-byte limit`);
  }
  if (!response.body) return new Uint8Array(0);
  let room = new Uint8Array(declared >= 0 ? declared : FIRST_ROOM);
  let size = 0;
  for await (const chunk of response.body) {
    if (size + chunk.length > maxBytes) {
      throw new ListFetchError(`list is over the ${maxBytes}-byte limit`);
    }
    if (size + chunk.length > room.length) {
      const bigger = new Uint8Array(
        Math.min(maxBytes, Math.max(room.length * 2, size + chunk.length)),
      );
      bigger.set(room.subarray(0, size));
      freeNow(room);
      room = bigger;
    }
    room.set(chunk, size);
    size += chunk.length;
  }
  if (size === room.length) return room;
  const body = room.slice(0, size);
  freeNow(room);
  return body;
}

/** Room for a body of unknown length at first. */
const FIRST_ROOM = 1 << 16;

async function readFileBounded(path: string, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  try {
    const info = await Deno.stat(path);
    if (info.size > maxBytes) {
      throw new ListFetchError(`${path}: ${info.size} bytes, over the ${maxBytes}-byte limit`);
    }
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof ListFetchError) throw error;
    throw new ListFetchError(`${path}: ${describe(error, 0)}`, { cause: error });
  }
}

function copyPaths(dir: string, source: ListSource) {
  const base = `${dir}/${source.name}`;
  return { text: `${base}.txt`, meta: `${base}.json` };
}

async function readCopy(
  dir: string,
  source: ListSource,
): Promise<{ bytes: Uint8Array<ArrayBuffer>; meta: CopyMeta } | undefined> {
  const paths = copyPaths(dir, source);
  try {
    const meta = JSON.parse(await Deno.readTextFile(paths.meta)) as CopyMeta;
    if (meta.url !== source.location || typeof meta.fetchedAt !== "number") return undefined;
    return { bytes: await Deno.readFile(paths.text), meta };
  } catch {
    return undefined;
  }
}

/** Writes the copy (text only when it changed), each file through a rename; best effort. */
async function writeCopy(
  dir: string,
  source: ListSource,
  bytes: Uint8Array,
  meta: CopyMeta,
  withText: boolean,
): Promise<void> {
  const paths = copyPaths(dir, source);
  try {
    if (withText) await atomicWrite(paths.text, bytes);
    await atomicWrite(paths.meta, JSON.stringify(meta));
  } catch {
    // No disk (Deno Deploy) or no permission: the list still loads, it just is not kept.
  }
}
