/**
 * Forwarding over DoH (RFC 8484): POST application/dns-message with ID 0 (the RFC's advice,
 * so HTTP caches can share answers), over fetch's keep-alive connection pool (HTTP/2 where the
 * server offers it). The reply must be a 200 with a DNS message answering our question. Each
 * query under way takes one of the process's upstream sockets (`SocketBudget`): over HTTP/1.1
 * every query at once is a connection of its own.
 */
import { describeError, UpstreamError } from "./errors.ts";
import { checkWellFormed, isReplyTo } from "./match.ts";
import type { Transport } from "./transport.ts";
import type { Deadline } from "../runtime/deadline.ts";
import { type SocketBudget, upstreamSockets } from "../runtime/descriptor_limit.ts";
import { withId } from "../dns/mod.ts";

const DNS_MESSAGE = "application/dns-message";
/** A DNS message is at most 65535 bytes; a bigger body is not one. */
const MAX_REPLY_BYTES = 65535;

export interface DohOptions {
  /** Extra trusted roots (PEM) for the upstream's certificate. */
  caCerts?: string[];
  /** What bounds the queries under way; the process's (`upstreamSockets`) by default. */
  sockets?: SocketBudget;
}

export class DohTransport implements Transport {
  readonly name: string;
  #url: string;
  #client?: Deno.HttpClient;
  #budget: SocketBudget;

  /** `url` is the full endpoint, e.g. "https://dns.quad9.net:443/dns-query". */
  constructor(url: string, options: DohOptions = {}) {
    this.name = url;
    this.#url = url;
    if (options.caCerts) this.#client = Deno.createHttpClient({ caCerts: options.caCerts });
    this.#budget = options.sockets ?? upstreamSockets;
  }

  async query(query: Uint8Array, deadline: Deadline): Promise<Uint8Array> {
    if (!this.#budget.take()) {
      throw new UpstreamError(
        this.name,
        "busy",
        `${this.#budget.max} upstream queries under way, no room for another`,
      );
    }
    try {
      return await this.#ask(query, deadline);
    } finally {
      this.#budget.give();
    }
  }

  async #ask(query: Uint8Array, deadline: Deadline): Promise<Uint8Array> {
    const signal = deadline.signal;
    let response: Response;
    try {
      response = await fetch(this.#url, {
        method: "POST",
        headers: { "content-type": DNS_MESSAGE, accept: DNS_MESSAGE },
        body: withId(query, 0),
        signal,
        client: this.#client,
      });
    } catch (error) {
      throw this.#failure(error, signal);
    }
    const type = response.headers.get("content-type")?.split(";", 1)[0].trim().toLowerCase();
    if (response.status !== 200 || type !== DNS_MESSAGE) {
      await response.body?.cancel().catch(() => {});
      const got = response.status === 200 ? `content type ${type ?? "none"}` : "";
      throw new UpstreamError(
        this.name,
        "http",
        `HTTP ${response.status}${got ? ` with ${got}` : ""} instead of a DNS message`,
      );
    }
    let reply: Uint8Array;
    try {
      reply = await readBounded(response, MAX_REPLY_BYTES, this.name);
    } catch (error) {
      if (error instanceof UpstreamError) throw error;
      throw this.#failure(error, signal);
    }
    checkWellFormed(this.name, reply);
    if (!isReplyTo(reply, 0, query)) {
      throw new UpstreamError(this.name, "mismatch", "the reply does not answer our question");
    }
    return reply;
  }

  close(): void {
    this.#client?.close();
    this.#client = undefined;
  }

  #failure(error: unknown, signal: AbortSignal): UpstreamError {
    if (signal.aborted) return new UpstreamError(this.name, "timeout", "no reply in time");
    return new UpstreamError(this.name, "network", describeError(error), { cause: error });
  }
}

/** The body, refusing (and cancelling) one longer than `limit`. */
async function readBounded(
  response: Response,
  limit: number,
  name: string,
): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (declared > limit) {
    await response.body?.cancel().catch(() => {});
    throw new UpstreamError(name, "malformed", `reply of ${declared} bytes is too big`);
  }
  if (!response.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.length;
    if (size > limit) {
      throw new UpstreamError(name, "malformed", `reply of over ${limit} bytes is too big`);
    }
    chunks.push(chunk);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}
