/**
 * The connections one door holds, bounded twice: at most `maxConnections` in all, and at most
 * `maxPerClient` from one client address (an IPv6 /64 counts as one, as for the rate limits).
 * A newcomer over its client's share is turned away. A newcomer at a full door takes the place
 * of the connection idle the longest, or is turned away when none is idle. So one client
 * cannot lock the others out by holding connections open, and idle connections (a TLS
 * handshake that never comes among them) give way to clients that ask.
 */
import { clientKey } from "../net/rate_limit.ts";

/** A connection as the table sees it. */
export interface HeldConnection {
  /**
   * Since when nothing has been under way on it, as a time or a count of events: only the order
   * is read (the least has waited longest); undefined while busy.
   */
  idleSince(): number | undefined;
  /** Closes it now; it leaves the table at once. */
  close(): void;
}

/** What a door counts about its connections, read by the metrics at scrape time. */
export interface DoorStats {
  /** Connections open now. */
  open: number;
  /** Connections closed at once: over their client's share, or the door full of busy ones. */
  refused: number;
  /** Idle connections closed to make room for a newcomer. */
  shed: number;
  /** Accepts that failed (out of file descriptors, mostly); the door waited and went on. */
  acceptErrors: number;
}

export interface TableLimits {
  maxConnections: number;
  maxPerClient: number;
}

export function newDoorStats(): DoorStats {
  return { open: 0, refused: 0, shed: 0, acceptErrors: 0 };
}

export class ConnectionTable<C extends HeldConnection> {
  readonly stats: DoorStats;
  readonly #limits: TableLimits;
  /** In the order they came: the oldest first. */
  readonly #clients = new Map<C, string>();
  readonly #perClient = new Map<string, number>();

  constructor(limits: TableLimits, stats: DoorStats = newDoorStats()) {
    this.#limits = limits;
    this.stats = stats;
  }

  get size(): number {
    return this.#clients.size;
  }

  connections(): C[] {
    return [...this.#clients.keys()];
  }

  /**
   * Whether a connection from `address` may come in, making room for it if the door is full;
   * the key to `add` it under, or undefined (counted as refused).
   */
  admit(address: string): string | undefined {
    const client = clientKey(address);
    if ((this.#perClient.get(client) ?? 0) >= this.#limits.maxPerClient) {
      this.stats.refused++;
      return undefined;
    }
    if (this.#clients.size >= this.#limits.maxConnections) {
      const idle = this.#longestIdle();
      if (idle === undefined) {
        this.stats.refused++;
        return undefined;
      }
      this.delete(idle);
      idle.close();
      this.stats.shed++;
    }
    return client;
  }

  /** Holds `connection` under the key `admit` gave. */
  add(connection: C, client: string): void {
    this.#clients.set(connection, client);
    this.#perClient.set(client, (this.#perClient.get(client) ?? 0) + 1);
    this.stats.open = this.#clients.size;
  }

  /** Lets `connection` go; nothing if it has gone already. */
  delete(connection: C): void {
    const client = this.#clients.get(connection);
    if (client === undefined) return;
    this.#clients.delete(connection);
    const left = (this.#perClient.get(client) ?? 1) - 1;
    if (left > 0) this.#perClient.set(client, left);
    else this.#perClient.delete(client);
    this.stats.open = this.#clients.size;
  }

  #longestIdle(): C | undefined {
    let found: C | undefined;
    let since = Infinity;
    for (const connection of this.#clients.keys()) {
      const idle = connection.idleSince();
      if (idle !== undefined && idle < since) {
        found = connection;
        since = idle;
      }
    }
    return found;
  }
}
