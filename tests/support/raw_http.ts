/**
 * HTTP/1.1 spoken by hand over TCP, for what fetch cannot do: send half a request head, trickle
 * a body, hold a connection idle, or send a head no client library would build.
 */

export interface RawResponse {
  /** Status code of the first response, 0 when none came. */
  status: number;
  /** Everything read, as text. */
  text: string;
  /** Whether the server closed the connection (rather than the wait running out). */
  closed: boolean;
  /** Milliseconds from the call to the end of the first response (or the end of waiting). */
  ms: number;
}

export interface RawHttp {
  /** Writes text (or bytes); false when the server has closed the connection already. */
  write(data: string | Uint8Array): Promise<boolean>;
  /**
   * Reads until one whole response has arrived (head and Content-Length body), the server
   * closes, or `ms` pass.
   */
  response(ms: number): Promise<RawResponse>;
  close(): void;
}

export async function rawHttp(port: number): Promise<RawHttp> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const encoder = new TextEncoder();
  let closedByUs = false;
  return {
    async write(data) {
      try {
        const bytes = typeof data === "string" ? encoder.encode(data) : data;
        for (let done = 0; done < bytes.length;) done += await conn.write(bytes.subarray(done));
        return true;
      } catch {
        return false;
      }
    },
    async response(ms) {
      const started = performance.now();
      const buffer = new Uint8Array(16 * 1024);
      const decoder = new TextDecoder();
      let text = "";
      let closed = false;
      const timer = setTimeout(() => conn.close(), ms);
      try {
        while (!complete(text)) {
          const count = await conn.read(buffer);
          if (count === null) {
            closed = true;
            break;
          }
          text += decoder.decode(buffer.subarray(0, count), { stream: true });
        }
      } catch {
        // closed by the timer, or reset by the server
        closed = performance.now() - started < ms;
      } finally {
        clearTimeout(timer);
      }
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      return { status, text, closed, ms: performance.now() - started };
    },
    close() {
      if (closedByUs) return;
      closedByUs = true;
      try {
        conn.close();
      } catch {
        // already closed
      }
    },
  };
}

/** Whether `text` holds a whole response head and the body its Content-Length announces. */
function complete(text: string): boolean {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
  return new TextEncoder().encode(text.slice(end + 4)).length >= length;
}
