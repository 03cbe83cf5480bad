/** Finding this process's own sockets by port over FFI (runtime/libc_sockets.ts). */
import assert from "node:assert/strict";
import {
  AF_INET,
  findSocket,
  lowestFreeDescriptor,
  openLibc,
  setSockaddrPort,
  sockaddrOf,
} from "../../runtime/libc_sockets.ts";
import { parseAddress } from "../../net/cidr.ts";

Deno.test("lowestFreeDescriptor names the descriptor a socket opened next takes", () => {
  const libc = openLibc();
  if (typeof libc === "string") throw new Error(libc);
  const likely = lowestFreeDescriptor(libc);
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const { port } = socket.addr as Deno.NetAddr;
    assert.equal(findSocket(libc, port, "udp", likely, false)?.fd, likely);
  } finally {
    socket.close();
  }
});

Deno.test("findSocket finds a UDP socket by its port, with or without a right guess", () => {
  const libc = openLibc();
  assert.equal(typeof libc, "object", `FFI is granted to the tests: ${libc}`);
  if (typeof libc === "string") return;
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const { port } = socket.addr as Deno.NetAddr;
    const scanned = findSocket(libc, port, "udp");
    assert.ok(scanned, "found by scanning");
    assert.equal(scanned.family, AF_INET);
    assert.deepEqual(findSocket(libc, port, "udp", scanned.fd), scanned, "a right guess");
    assert.deepEqual(findSocket(libc, port, "udp", 0), scanned, "stdin is no guess");
    assert.deepEqual(findSocket(libc, port, "udp", scanned.fd + 1), scanned, "a wrong guess");
    assert.equal(findSocket(libc, port, "udp", scanned.fd + 1, false), undefined, "no scan");
    assert.deepEqual(findSocket(libc, port, "udp", scanned.fd, false), scanned, "no scan needed");
    assert.equal(findSocket(libc, port, "tcp-listener", scanned.fd), undefined, "not a listener");
  } finally {
    socket.close();
  }
});

Deno.test("sockaddrOf lays out IPv4 and IPv6 addresses as Linux does, and has none for IPv6 on IPv4", () => {
  const v4 = sockaddrOf(parseAddress("192.0.2.7")!, AF_INET)!;
  setSockaddrPort(v4, 53);
  assert.deepEqual([...v4], [2, 0, 0, 53, 192, 0, 2, 7, 0, 0, 0, 0, 0, 0, 0, 0]);
  const v6 = sockaddrOf(parseAddress("2001:db8::1")!, 10)!;
  setSockaddrPort(v6, 853);
  assert.deepEqual([...v6.subarray(0, 8)], [10, 0, 3, 85, 0, 0, 0, 0]);
  assert.deepEqual([...v6.subarray(8, 24)], [0x20, 1, 0x0d, 0xb8, ...Array(11).fill(0), 1]);
  assert.equal(sockaddrOf(parseAddress("2001:db8::1")!, AF_INET), null, "IPv6 on an IPv4 socket");
});
