/**
 * A transport whose module loads on its first query. Only UDP is on the path of a fresh
 * process's first answers; TCP (for truncated UDP replies), DoT and DoH load when first used,
 * so a process that never needs them never loads them (tests/startup_graph_test.ts).
 */
import { describeError, UpstreamError } from "./errors.ts";
import type { Transport } from "./transport.ts";
import type { Deadline } from "../runtime/deadline.ts";

export class LazyTransport implements Transport {
  readonly name: string;
  #load: () => Promise<Transport>;
  #transport?: Promise<Transport>;
  #closed = false;

  /** `load` makes the real transport, named `name` too. */
  constructor(name: string, load: () => Promise<Transport>) {
    this.name = name;
    this.#load = load;
  }

  async query(query: Uint8Array, deadline: Deadline): Promise<Uint8Array> {
    if (this.#closed) throw new UpstreamError(this.name, "network", "the transport is closed");
    let transport: Transport;
    try {
      transport = await (this.#transport ??= this.#load());
    } catch (error) {
      // Tried again by the next query.
      this.#transport = undefined;
      throw new UpstreamError(this.name, "network", describeError(error), { cause: error });
    }
    // Closed while it loaded: close() has closed it, and its query rejects.
    return await transport.query(query, deadline);
  }

  close(): void {
    this.#closed = true;
    this.#transport?.then((transport) => transport.close(), () => {});
  }
}
