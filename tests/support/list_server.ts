/**
 * A local HTTP server that serves blocklists the way GitHub raw and list hosts do: ETag and
 * Last-Modified, 304 to a matching conditional request. Tests change a list, make the server
 * fail or hang, and count requests; nothing leaves the machine.
 */
export interface ListServer {
  /** URL of a list by file name: `${server.url}/ads.txt`. */
  url: string;
  /** Serves `text` at `/name` from now on (a new ETag). */
  set(name: string, text: string): void;
  /** "ok", "fail" (HTTP 500 to everything) or "hang" (answers nothing until the client gives up). */
  mode: "ok" | "fail" | "hang";
  /** Requests seen, with whether they were conditional and what was answered. */
  requests: { path: string; conditional: boolean; status: number }[];
  close(): Promise<void>;
}

export function startListServer(): ListServer {
  const lists = new Map<string, { text: string; etag: string; modified: string }>();
  let version = 0;
  const hanging = new Set<() => void>();
  const server: ListServer = {
    url: "",
    mode: "ok",
    requests: [],
    set(name, text) {
      version++;
      lists.set(name, {
        text,
        etag: `"v${version}"`,
        modified: new Date(Date.UTC(2026, 0, 1, 0, version)).toUTCString(),
      });
    },
    close: async () => {
      for (const release of hanging) release();
      await http.shutdown();
    },
  };
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname.slice(1);
    const conditional = request.headers.has("if-none-match") ||
      request.headers.has("if-modified-since");
    const answer = (status: number, body: string | null, headers: Record<string, string> = {}) => {
      server.requests.push({ path, conditional, status });
      return new Response(body, { status, headers });
    };
    if (server.mode === "fail") return answer(500, "broken\n");
    if (server.mode === "hang") {
      return new Promise<Response>((resolve) => {
        const release = () => resolve(answer(503, null));
        hanging.add(release);
        request.signal.addEventListener("abort", release);
      });
    }
    const list = lists.get(path);
    if (!list) return answer(404, "no such list\n");
    if (matchesWeakly(request.headers.get("if-none-match"), list.etag)) return answer(304, null);
    return answer(200, list.text, { etag: list.etag, "last-modified": list.modified });
  });
  server.url = `http://127.0.0.1:${http.addr.port}`;
  return server;
}

/**
 * If-None-Match compares entity tags weakly (RFC 9110 §13.1.2): W/"v1" matches "v1". A server
 * that compresses a list on the fly (Deno.serve before Deno 2.8.3 does) sends its ETag weakened.
 */
function matchesWeakly(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  return ifNoneMatch.split(",").some((tag) => tag.trim() === "*" || opaque(tag) === opaque(etag));
}
