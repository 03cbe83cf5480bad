/**
 * Writes a file through a temporary file and a rename, so a crash or a full disk never leaves
 * half a list or half the custom entries behind. Creates the directory when missing; `mode`
 * gives the file's permissions (a stored set is read-only: blocklist/shared_sets.ts).
 */
export async function atomicWrite(
  path: string,
  data: string | Uint8Array,
  options: { mode?: number } = {},
): Promise<void> {
  const slash = path.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
  const temporary = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(temporary, data, options);
    else await Deno.writeFile(temporary, data, options);
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}
