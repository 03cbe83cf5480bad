/**
 * `deno task blocklist check NAME`, run as a user runs it: it names the list and entry that
 * block a name, and when nothing blocks it, whether that is because no list has the name, no
 * list is configured, or no list could be loaded (exit 1: the check says nothing then).
 */
import assert from "node:assert/strict";
import { runProgram } from "../support/gateway.ts";

function check(name: string, env: Record<string, string>) {
  return runProgram("blocklist/cli.ts", ["check", name], env);
}

Deno.test("blocklist check names the list that blocks, or says no list has the name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "blocklist-cli-" });
  try {
    await Deno.writeTextFile(`${dir}/ads.txt`, "ads.example\n");
    const env = { BLOCKLIST_URLS: `ads=${dir}/ads.txt` };
    const blocked = await check("x.ads.example", env);
    assert.equal(blocked.code, 0, blocked.stderr);
    assert.match(blocked.stdout, /^x\.ads\.example: blocked by .*ads/);
    const clean = await check("www.example", env);
    assert.equal(clean.code, 0, clean.stderr);
    assert.equal(clean.stdout, "www.example: not blocked (no list has it)\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("blocklist check says when no list is configured, and when none could be loaded", async () => {
  const none = await check("www.example", { BLOCKLIST_URLS: "" });
  assert.equal(none.code, 0, none.stderr);
  assert.equal(
    none.stdout,
    "www.example: not blocked (no block list is configured: BLOCKLIST_URLS)\n",
  );
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  const unreachable = await check("www.example", {
    BLOCKLIST_URLS: `far=http://127.0.0.1:${port}/list.txt`,
    BLOCKLIST_DOWNLOAD_TIMEOUT_MS: "500",
  });
  assert.equal(unreachable.code, 1, unreachable.stderr);
  assert.equal(
    unreachable.stdout,
    "www.example: not blocked, but no blocklist loaded: 1 list is configured and none has loaded, so nothing is blocked (see the log)\n",
  );
});
