/**
 * The README's code blocks, as a reader copies them: a section's fenced blocks, and the
 * shell commands of a block (a line ending in `\` goes on to the next; comment lines dropped).
 */

const README_URL = new URL("../../README.md", import.meta.url);

export const readReadme = (): Promise<string> => Deno.readTextFile(README_URL);

/** The text of the section under `## heading`, up to the next `## ` heading. */
export function readmeSection(readme: string, heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no section "## ${heading}"`);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The fenced blocks of `language` in `section`, in order, without their fences. */
export function codeBlocks(section: string, language: string): string[] {
  const fence = new RegExp("^```" + language + "\\n([\\s\\S]*?)^```$", "gm");
  return [...section.matchAll(fence)].map((match) => match[1]);
}

/** The commands of a shell block: continued lines joined, blank and comment lines dropped. */
export function shellCommands(block: string): string[] {
  return block.replace(/\\\n\s*/g, "").split("\n").map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** The bytes of `od -An -tx1` output: hex pairs separated by blanks and newlines. */
export function odBytes(text: string): Uint8Array {
  const pairs = text.trim().split(/\s+/).filter((pair) => pair !== "");
  if (!pairs.every((pair) => /^[0-9a-f]{2}$/.test(pair))) {
    throw new Error(`not od -An -tx1 output: ${JSON.stringify(text)}`);
  }
  return new Uint8Array(pairs.map((pair) => parseInt(pair, 16)));
}
