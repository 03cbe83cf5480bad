/**
 * One client connection of the TCP or DoT door (RFC 7766, RFC 7858): two-byte framing, many
 * queries per connection, each resolved as soon as it is read and answered as soon as it is
 * done (out of order: clients match answers by ID, RFC 7766 §7). At most `maxInFlight`
 * queries are under way; reading pauses until one is answered, so a client cannot queue
 * unbounded work. A connection with nothing read, written or being resolved for
 * `idleTimeoutMs` is closed (RFC 7766 §6.2.3), which also ends clients that trickle bytes,
 * never finish a TLS handshake or stop reading their answers. A query that gets no answer at
 * all (no readable header, so no ID to answer with) ends the connection once the queries read
 * before it are answered: the client learns at once that it will get nothing, rather than
 * waiting for an ID that never comes.
 */
import { frame, FrameReader, writeAll } from "../net/framing.ts";

export interface ConnectionOptions {
  idleTimeoutMs: number;
  maxInFlight: number;
  /** The answer to one query; undefined: none can be given, and the connection ends. */
  answer: (raw: Uint8Array) => Promise<Uint8Array | undefined>;
}

export class StreamConnection {
  /** Settles when the connection is closed. */
  readonly done: Promise<void>;
  readonly #conn: Deno.Conn;
  readonly #options: ConnectionOptions;
  /** Queries read and not yet answered (being resolved, or waiting to be written). */
  #pending = 0;
  /** Queries still being resolved: a connection waiting on those is not idle. */
  #resolving = 0;
  #draining = false;
  #closed = false;
  #writing: Promise<void> = Promise.resolve();
  #lastActivity = performance.now();
  #idleTimer?: ReturnType<typeof setTimeout>;
  /** Woken whenever a query is answered: reading waits for room, draining for none left. */
  #waiters: (() => void)[] = [];

  constructor(conn: Deno.Conn, options: ConnectionOptions) {
    this.#conn = conn;
    this.#options = options;
    this.#armIdleTimer();
    this.done = this.#run();
  }

  /** Since when nothing has been read, written or under way; undefined while a query is. */
  idleSince(): number | undefined {
    return this.#pending > 0 ? undefined : this.#lastActivity;
  }

  /** Reads no more queries, answers those already read, then closes. */
  async drain(): Promise<void> {
    this.#draining = true;
    await this.#answered(0);
    this.close();
    await this.done;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    this.#wake();
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }

  async #run(): Promise<void> {
    const reader = new FrameReader(this.#conn);
    try {
      while (!this.#draining && !this.#closed) {
        await this.#answered(this.#options.maxInFlight - 1);
        const raw = await reader.next();
        if (raw === null || this.#draining || this.#closed) break;
        this.#lastActivity = performance.now();
        this.#start(raw);
      }
    } catch {
      // Reset by the client, a failed TLS handshake, or closed by us.
    }
    // The client may have sent its last query and closed its side: answer what was read.
    await this.#answered(0);
    this.close();
  }

  #start(raw: Uint8Array): void {
    this.#pending++;
    this.#resolving++;
    this.#options.answer(raw)
      .then((reply) => {
        this.#resolving--;
        if (reply !== undefined) return this.#write(reply);
        void this.drain();
      })
      .catch(() => this.close())
      .finally(() => {
        this.#pending--;
        this.#lastActivity = performance.now();
        this.#wake();
      });
  }

  /** Writes are queued so frames never interleave; a failed write closes the connection. */
  #write(reply: Uint8Array): Promise<void> {
    const framed = frame(reply);
    this.#writing = this.#writing.then(() => {
      if (!this.#closed) return writeAll(this.#conn, framed);
    });
    return this.#writing;
  }

  /** Waits until at most `count` queries are pending (or the connection is closed). */
  async #answered(count: number): Promise<void> {
    while (this.#pending > count && !this.#closed) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #armIdleTimer(): void {
    const idle = this.#options.idleTimeoutMs;
    const left = Math.max(0, this.#lastActivity + idle - performance.now());
    this.#idleTimer = setTimeout(() => {
      if (this.#closed) return;
      // Resolving takes at most the query budget; waiting on it is not idleness.
      if (this.#resolving > 0) this.#lastActivity = performance.now();
      if (performance.now() - this.#lastActivity < idle) return this.#armIdleTimer();
      this.close();
    }, left);
  }
}
