/**
 * Forwarding over a stream (TCP, RFC 7766, and DoT, RFC 7858): one long-lived connection per
 * upstream, two-byte framing, many queries in flight at once matched to replies by ID and
 * question (replies may come in any order). The connection is opened on first use, shared by
 * concurrent queries, closed after an idle spell, and reopened once when an upstream closed a
 * connection we were reusing (servers may drop idle connections at any moment).
 */
import { describeError, UpstreamError } from "./errors.ts";
import { frame, FrameReader, writeAll } from "../net/framing.ts";
import { abortable } from "./abortable.ts";
import { checkWellFormed, isReplyTo, randomId } from "./match.ts";
import type { Transport } from "./transport.ts";
import type { Deadline } from "../runtime/deadline.ts";
import { messageId, withId } from "../dns/mod.ts";

/** Opens a connection; must honour `signal` (abort = give up and release everything). */
export type Connector = (signal: AbortSignal) => Promise<Deno.Conn>;

export interface StreamOptions {
  /** Close a connection nobody has used for this long. */
  idleTimeoutMs?: number;
  /** Give up opening a connection after this long, whoever is waiting for it. */
  connectTimeoutMs?: number;
  /** Queries one connection may carry at once; more fail fast rather than queue unbounded. */
  maxInFlight?: number;
}

const DEFAULTS: Required<StreamOptions> = {
  idleTimeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  maxInFlight: 1024,
};

export class StreamTransport implements Transport {
  readonly name: string;
  #connector: Connector;
  #options: Required<StreamOptions>;
  #current?: Promise<Connection>;
  #closing = new AbortController();

  constructor(name: string, connector: Connector, options: StreamOptions = {}) {
    this.name = name;
    this.#connector = connector;
    this.#options = { ...DEFAULTS, ...options };
  }

  async query(query: Uint8Array, deadline: Deadline): Promise<Uint8Array> {
    const signal = deadline.signal;
    for (let attempt = 0;; attempt++) {
      const connection = await this.#connection(signal);
      const reused = connection.answered > 0;
      try {
        return await connection.exchange(query, signal);
      } catch (error) {
        const stale = error instanceof UpstreamError && error.kind === "network" && reused;
        if (!stale || attempt > 0 || signal.aborted) throw error;
        // The upstream had closed the idle connection under us: one more try on a new one.
      }
    }
  }

  close(): void {
    this.#closing.abort();
    this.#current?.then((connection) => connection.close(), () => {});
    this.#current = undefined;
  }

  /** The open connection, or a new one (one connect shared by everyone asking meanwhile). */
  async #connection(signal: AbortSignal): Promise<Connection> {
    if (this.#closing.signal.aborted) {
      throw new UpstreamError(this.name, "network", "the transport is closed");
    }
    let current = this.#current;
    if (current === undefined) {
      current = this.#open();
      this.#current = current;
      current.catch(() => {
        if (this.#current === current) this.#current = undefined;
      });
    }
    const connection = await abortable(current, signal, () => this.#timeout());
    if (!connection.closed) return connection;
    if (this.#current === current) this.#current = undefined;
    return this.#connection(signal);
  }

  async #open(): Promise<Connection> {
    const signal = AbortSignal.any([
      this.#closing.signal,
      AbortSignal.timeout(this.#options.connectTimeoutMs),
    ]);
    let conn: Deno.Conn;
    try {
      conn = await this.#connector(signal);
    } catch (error) {
      const reason = signal.aborted && !this.#closing.signal.aborted
        ? `could not connect within ${this.#options.connectTimeoutMs} ms`
        : `could not connect: ${describeError(error)}`;
      throw new UpstreamError(this.name, "network", reason, { cause: error });
    }
    if (this.#closing.signal.aborted) {
      conn.close();
      throw new UpstreamError(this.name, "network", "the transport is closed");
    }
    return new Connection(this.name, conn, this.#options);
  }

  #timeout(): UpstreamError {
    return new UpstreamError(this.name, "timeout", "no reply in time");
  }
}

interface Pending {
  /** The query, whose question the reply must echo (with the ID it is filed under). */
  query: Uint8Array;
  resolve(reply: Uint8Array): void;
  reject(error: UpstreamError): void;
}

/** One open connection: a write queue, a read loop, and the queries waiting for replies. */
class Connection {
  /** Replies delivered so far; 0 means the connection is fresh. */
  answered = 0;
  closed = false;
  #name: string;
  #conn: Deno.Conn;
  #options: Required<StreamOptions>;
  #pending = new Map<number, Pending>();
  #writing: Promise<void> = Promise.resolve();
  #idleTimer?: ReturnType<typeof setTimeout>;

  constructor(name: string, conn: Deno.Conn, options: Required<StreamOptions>) {
    this.#name = name;
    this.#conn = conn;
    this.#options = options;
    this.#armIdleTimer();
    this.#readLoop();
  }

  exchange(query: Uint8Array, signal: AbortSignal) {
    if (this.closed) {
      return Promise.reject(new UpstreamError(this.#name, "network", "connection closed"));
    }
    if (this.#pending.size >= this.#options.maxInFlight) {
      return Promise.reject(
        new UpstreamError(this.#name, "network", `${this.#options.maxInFlight} queries in flight`),
      );
    }
    let id = randomId();
    while (this.#pending.has(id)) id = randomId();
    this.#disarmIdleTimer();
    const framed = frame(withId(query, id));
    return new Promise<Uint8Array>((resolve, reject) => {
      const abort = () => {
        this.#forget(id);
        reject(new UpstreamError(this.#name, "timeout", "no reply in time"));
      };
      if (signal.aborted) return abort();
      signal.addEventListener("abort", abort, { once: true });
      this.#pending.set(id, {
        query,
        resolve: (reply) => {
          signal.removeEventListener("abort", abort);
          resolve(reply);
        },
        reject: (error) => {
          signal.removeEventListener("abort", abort);
          reject(error);
        },
      });
      this.#writing = this.#writing
        .then(() => writeAll(this.#conn, framed))
        .catch((error) => this.#fail(`write failed: ${describeError(error)}`));
    });
  }

  close(): void {
    this.#fail("connection closed");
  }

  async #readLoop(): Promise<void> {
    const reader = new FrameReader(this.#conn);
    try {
      while (true) {
        const reply = await reader.next();
        if (reply === null) return this.#fail("connection closed by the upstream");
        this.#deliver(reply);
      }
    } catch (error) {
      this.#fail(this.closed ? "connection closed" : `read failed: ${describeError(error)}`);
    }
  }

  #deliver(reply: Uint8Array): void {
    if (reply.length < 2) return;
    const id = messageId(reply);
    const pending = this.#pending.get(id);
    if (pending === undefined || !isReplyTo(reply, id, pending.query)) return;
    this.#forget(id);
    this.answered++;
    try {
      checkWellFormed(this.#name, reply);
      pending.resolve(reply);
    } catch (error) {
      pending.reject(error as UpstreamError);
    }
  }

  #forget(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0 && !this.closed) this.#armIdleTimer();
  }

  /** Closes the connection and fails every query still waiting on it. */
  #fail(reason: string): void {
    if (!this.closed) {
      this.closed = true;
      this.#disarmIdleTimer();
      try {
        this.#conn.close();
      } catch {
        // already closed
      }
    }
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const entry of pending) entry.reject(new UpstreamError(this.#name, "network", reason));
  }

  #armIdleTimer(): void {
    this.#disarmIdleTimer();
    const timer = setTimeout(() => this.close(), this.#options.idleTimeoutMs);
    Deno.unrefTimer(timer);
    this.#idleTimer = timer;
  }

  #disarmIdleTimer(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }
}
