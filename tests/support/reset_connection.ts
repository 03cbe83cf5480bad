/**
 * A client that connects, sends a few bytes and hangs up with a reset (SO_LINGER 0), as a
 * hostile client does to make an accept fail: the connection is gone from the queue by the time
 * the server accepts it. Deno has no SO_LINGER, so it is set over FFI on the client's socket,
 * found by its local port (Linux; --allow-ffi).
 */
import { portOf } from "../../doors/handshake_reaper.ts";

const SOL_SOCKET = 1;
const SO_LINGER = 13;

/** Connects to 127.0.0.1:`port`, sends `bytes`, and closes with a reset. */
export async function connectAndReset(port: number, bytes: Uint8Array): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(bytes);
  const local = conn.localAddr.port;
  const libc = Deno.dlopen("libc.so.6", {
    getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
    setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  });
  try {
    const address = new Uint8Array(128);
    const length = new Uint32Array(1);
    for (let fd = 3; fd < 4096; fd++) {
      length[0] = address.length;
      if (libc.symbols.getsockname(fd, address, length) !== 0) continue;
      if (portOf(address) !== local) continue;
      const linger = new Int32Array([1, 0]);
      if (libc.symbols.setsockopt(fd, SOL_SOCKET, SO_LINGER, linger, 8) !== 0) {
        throw new Error("setsockopt(SO_LINGER) failed");
      }
      conn.close();
      return;
    }
    throw new Error(`the socket of local port ${local} was not found`);
  } finally {
    libc.close();
  }
}
