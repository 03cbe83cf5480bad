/**
 * The gateway's modules are Latin-1 text. The engine keeps every loaded module's source (with
 * its inline source map) for as long as the process runs, one byte a character when every
 * character is Latin-1 and two bytes a character for the whole module once one is not: a
 * single arrow in a comment doubled a module's share of the memory at rest. Characters past
 * Latin-1 are written as escapes in strings and as ASCII in comments.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
/** Folders whose modules the gateway never loads. */
const NOT_LOADED = new Set(["tests", "bench", "scripts", "node_modules", "test-artifacts"]);

/** Every .ts and .tsx file of the gateway, as paths relative to the root. */
async function gatewayModules(dir = ROOT, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(".")) continue;
    if (entry.isDirectory) {
      if (prefix === "" && NOT_LOADED.has(entry.name)) continue;
      found.push(
        ...await gatewayModules(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`),
      );
    } else if (/\.tsx?$/.test(entry.name)) {
      found.push(`${prefix}${entry.name}`);
    }
  }
  return found.sort();
}

/** `where: line:column U+XXXX` for each character of `text` past Latin-1. */
function pastLatin1(text: string, where: string): string[] {
  const found: string[] = [];
  text.split("\n").forEach((line, index) => {
    for (let column = 0; column < line.length; column++) {
      const code = line.codePointAt(column)!;
      if (code <= 0xff) continue;
      const hex = code.toString(16).toUpperCase().padStart(4, "0");
      found.push(`${where}:${index + 1}:${column + 1} U+${hex}`);
      if (code > 0xffff) column++;
    }
  });
  return found;
}

Deno.test("every module of the gateway is Latin-1 text", async () => {
  const modules = await gatewayModules();
  assert.ok(modules.includes("main.ts") && modules.includes("dns/view.ts"), "walked the tree");
  const found: string[] = [];
  for (const path of modules) {
    found.push(...pastLatin1(await Deno.readTextFile(new URL(path, ROOT)), path));
  }
  assert.deepEqual(found, [], "write these as escapes (strings) or ASCII (comments)");
});

Deno.test("the JSX pages stay Latin-1 once compiled (string constants are folded into them)", async () => {
  const pages = (await gatewayModules()).filter((path) => path.endsWith(".tsx"));
  assert.ok(pages.length > 0);
  const outdir = await Deno.makeTempDir();
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["transpile", "--source-map", "none", "--no-check", "--outdir", outdir, ...pages],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    const found: string[] = [];
    for (const page of pages) {
      const emitted = `${outdir}/${page.replace(/\.tsx$/, ".js")}`;
      found.push(...pastLatin1(await Deno.readTextFile(emitted), `${page} (compiled)`));
    }
    assert.deepEqual(found, [], "use a named constant: the compiler inlines a literal");
  } finally {
    await Deno.remove(outdir, { recursive: true });
  }
});
