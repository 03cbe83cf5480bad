/**
 * The descriptor limit at startup, in a child process whose limits prlimit(1) sets: the soft
 * limit is the hard one (Deno raises it itself on Linux; raiseDescriptorLimit() makes sure),
 * and the HTTP door's cap is lowered to fit.
 */
import assert from "node:assert/strict";
import { integration } from "../support/binaries.ts";

const MODULE = new URL("../../runtime/descriptor_limit.ts", import.meta.url).href;
const SCRIPT = `
import { httpConnectionCap, raiseDescriptorLimit } from "${MODULE}";
console.log(raiseDescriptorLimit());
console.log(httpConnectionCap(10000, 500).line);
`;

async function withLimits(nofile: string, permissions: string[]): Promise<string[]> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, SCRIPT);
    const output = await new Deno.Command("prlimit", {
      args: [`--nofile=${nofile}`, Deno.execPath(), "run", ...permissions, file],
      stdin: "null",
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    return new TextDecoder().decode(output.stdout).trim().split("\n");
  } finally {
    await Deno.remove(file);
  }
}

Deno.test({
  name: "the soft descriptor limit is the hard one at startup, and the HTTP cap fits below it",
  ...integration(["prlimit"]),
  async fn() {
    const lines = await withLimits("256:1024", ["--allow-ffi", "--allow-read"]);
    assert.deepEqual(lines, [
      "file descriptors: 1024",
      "HTTP connections: at most 268 (HTTP_MAX_CONNECTIONS=10000 lowered to fit 1024 file descriptors)",
    ]);
  },
});

Deno.test({
  name: "without --allow-ffi the descriptor limit stays, and the startup line says why",
  ...integration(["prlimit"]),
  async fn() {
    const lines = await withLimits("256:1024", ["--allow-read"]);
    assert.deepEqual(lines, [
      "file descriptors: limit not raised (needs --allow-ffi)",
      "HTTP connections: at most 10000",
    ]);
  },
});
