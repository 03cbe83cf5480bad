/**
 * Whether the blocklist filters at all: with block lists configured but none of them loaded
 * (offline at startup, every download failed, still loading), the gateway answers unfiltered,
 * and /health, the dashboard and `deno task blocklist check` must say so rather than look
 * fine. No list configured is a choice, not a problem.
 */
import type { Blocklist } from "./blocklist.ts";
import type { ListSource } from "./source.ts";

/** Why nothing is being blocked by a list, in one line; undefined when a block list is in. */
export async function blocklistProblem(
  blocklist: Pick<Blocklist, "summary">,
  sources: readonly ListSource[],
): Promise<string | undefined> {
  const blockLists = new Set(sources.filter((s) => s.kind === "block").map((s) => s.name));
  if (blockLists.size === 0) return undefined;
  let loaded: number;
  try {
    const lists = await blocklist.summary();
    loaded = lists.filter((list) => blockLists.has(list.name) && list.loadedAt !== undefined)
      .length;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return `blocklist store unavailable (${why})`;
  }
  if (loaded > 0) return undefined;
  const configured = blockLists.size === 1 ? "1 list is" : `${blockLists.size} lists are`;
  return `no blocklist loaded: ${configured} configured and none has loaded, so nothing is blocked (see the log)`;
}
