/**
 * Gives a big buffer's memory back at once. V8 frees an array buffer's bytes when a collection
 * finds it unreachable, and a gateway at rest allocates nothing, so none may come for hours:
 * a loaded list's text and scratch arrays stayed resident (`deno task bench:list-rss`).
 * Detaching the buffer (`transfer(0)`) frees its bytes now; every view of it then reads as
 * empty, so call it only on a buffer nothing else uses.
 */
export function freeNow(view: ArrayBufferView): void {
  const buffer = view.buffer;
  if (buffer instanceof ArrayBuffer && !buffer.detached && buffer.byteLength > 0) {
    buffer.transfer(0);
  }
}
