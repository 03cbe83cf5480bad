/** main.ts's module graph as `deno info --json` gives it, for the tests that guard its shape. */
import assert from "node:assert/strict";

export interface GraphModule {
  specifier: string;
  dependencies?: {
    code?: { specifier?: string };
    type?: { specifier?: string };
    isDynamic?: boolean;
  }[];
}

const ROOT = new URL("../../", import.meta.url);

/** Every module main.ts can reach, static or dynamic, with its dependencies. */
export async function mainGraph(): Promise<GraphModule[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.ok(output.success, "deno info failed");
  return (JSON.parse(new TextDecoder().decode(output.stdout)) as { modules: GraphModule[] })
    .modules;
}
