/**
 * scripts/setup.sh on a fresh Debian, which has neither Deno nor npm: it must install npm from
 * Debian's packages before it asks npm for Deno. Run with --dry-run (it prints what it would
 * change instead of changing it) and a PATH that holds only the few tools it reads with.
 */
import assert from "node:assert/strict";
import { integration } from "../support/binaries.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
/** What the script reads the machine with; npm and deno are left out on purpose. */
const TOOLS = ["bash", "dpkg-query", "grep", "head", "id"];

/** A folder of links to `tools` only, found on this machine's PATH, for a PATH of its own. */
async function pathWith(tools: string[]): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "setup-path-" });
  for (const tool of tools) {
    const found = (Deno.env.get("PATH") ?? "").split(":")
      .map((folder) => `${folder}/${tool}`)
      .find((path) => {
        try {
          return Deno.statSync(path).isFile;
        } catch {
          return false;
        }
      });
    assert.ok(found, `${tool} is on PATH`);
    await Deno.symlink(found, `${dir}/${tool}`);
  }
  return dir;
}

Deno.test({
  name: "setup.sh on a machine without npm installs npm from Debian before Deno from npm",
  ...integration(["dpkg-query"]),
  async fn() {
    const path = await pathWith(TOOLS);
    try {
      const output = await new Deno.Command("bash", {
        args: ["scripts/setup.sh", "--dry-run"],
        cwd: ROOT,
        env: { PATH: path },
        clearEnv: true,
        stdin: "null",
        signal: AbortSignal.timeout(30_000),
      }).output();
      const stdout = new TextDecoder().decode(output.stdout);
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, stderr);
      const lines = stdout.split("\n");
      const npm = lines.findIndex((line) => /^would run: .*apt-get install .*\bnpm\b/.test(line));
      const deno = lines.findIndex((line) =>
        line.startsWith("would run: npm install -g --prefix /usr/local deno@2")
      );
      assert.ok(npm >= 0, `no apt-get install of npm in:\n${stdout}`);
      assert.ok(deno > npm, `Deno is not installed from npm after npm itself:\n${stdout}`);
    } finally {
      await Deno.remove(path, { recursive: true });
    }
  },
});
