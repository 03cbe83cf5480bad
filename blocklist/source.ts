/**
 * Where lists come from: BLOCKLIST_URLS and ALLOWLIST_URLS, each a comma-separated list of
 * `url` or `name=url` items. A URL is http(s)://, file://, or a file path. An allowlist's
 * every entry allows; a blocklist's entries block, except its own `@@` exceptions.
 */

export interface ListSource {
  /** Shown in logs, EDE texts and the admin API; unique; never "custom". */
  name: string;
  /** http(s):// URL, or an absolute file path. */
  location: string;
  kind: "block" | "allow";
}

/** The defaults, like the seed servers used: StevenBlack's hosts and hagezi's pro list. */
export const DEFAULT_BLOCKLISTS =
  "stevenblack=https://raw.githubusercontent.com/StevenBlack/hosts/master/hosts," +
  "hagezi-pro=https://raw.githubusercontent.com/hagezi/dns-blocklists/main/domains/pro.txt";

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * Parses one setting's items. Throws an Error with a one-line message (the caller names the
 * variable) for an item that is not a URL or path, or a name that is invalid or taken.
 */
export function parseSources(
  value: string,
  kind: ListSource["kind"],
  taken: Set<string>,
  cwd: string,
): ListSource[] {
  const sources: ListSource[] = [];
  for (const raw of value.split(",").map((item) => item.trim()).filter((item) => item !== "")) {
    // `name=location`: an "=" before any "/" or ":" (a path or URL may hold one further on).
    const named = /^([^=/:]*)=(.*)$/.exec(raw);
    if (named && named[2].trim() === "") {
      throw new Error(`"${raw}" names no URL or file after "="`);
    }
    const location = resolveLocation(named ? named[2].trim() : raw, cwd);
    let name = named ? named[1].trim().toLowerCase() : derivedName(location);
    if (named && (!NAME.test(name) || name === "custom")) {
      throw new Error(
        `"${named[1]}" is not a usable list name (letters, digits, . _ -; not "custom")`,
      );
    }
    if (named && taken.has(name)) throw new Error(`the list name "${name}" is used twice`);
    for (let n = 2; taken.has(name) || name === "custom"; n++) {
      name = `${derivedName(location)}-${n}`;
    }
    taken.add(name);
    sources.push({ name, location, kind });
  }
  return sources;
}

function resolveLocation(text: string, cwd: string): string {
  if (/^https?:\/\//i.test(text)) {
    try {
      return new URL(text).href;
    } catch {
      throw new Error(`"${text}" is not a valid URL`);
    }
  }
  if (/^file:\/\//i.test(text)) return decodeURIComponent(new URL(text).pathname);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new Error(`"${text}": expected an http(s):// URL or a file path`);
  }
  return text.startsWith("/") ? text : `${cwd.replace(/\/$/, "")}/${text}`;
}

/** "https://host/a/b/pro.txt" -> "pro"; "/etc/hosts" -> "hosts". */
function derivedName(location: string): string {
  const path = /^https?:/.test(location) ? new URL(location).pathname : location;
  const base = path.split("/").filter((part) => part !== "").pop() ?? "list";
  const name = base.replace(/\.[a-z0-9]{1,4}$/i, "").toLowerCase().replace(/[^a-z0-9._-]/g, "-");
  return NAME.test(name) ? name : "list";
}
