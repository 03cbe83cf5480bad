/**
 * Integration tests need real programs (knotd, kdig, dnsdist, openssl…). Where one is missing
 * the test is skipped with one line saying what to install — except in CI, where
 * `REQUIRE_INTEGRATION=1` turns the skip into a failure (DESIGN §8): the test runs and fails
 * on the missing binary, so a broken setup cannot pass silently.
 */

const found = new Map<string, boolean>();

/** Whether `name` is an executable on PATH (or an absolute path to one). Cached. */
export function hasBinary(name: string): boolean {
  let known = found.get(name);
  if (known === undefined) {
    known = lookup(name) !== undefined;
    found.set(name, known);
  }
  return known;
}

function lookup(name: string): string | undefined {
  const candidates = name.includes("/")
    ? [name]
    : (Deno.env.get("PATH") ?? "").split(":").filter((dir) => dir !== "").map((dir) =>
      `${dir}/${name}`
    );
  for (const path of candidates) {
    try {
      const info = Deno.statSync(path);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return path;
    } catch {
      // not there
    }
  }
  return undefined;
}

function skipLine(name: string): string {
  return `skipping: needs ${name}, not installed (bash scripts/setup.sh)`;
}

/**
 * Spread into `Deno.test({ name, ...integration(["knotd", "kdig"]), fn })`. Prints one line
 * and ignores the test when a binary is missing, unless REQUIRE_INTEGRATION=1.
 */
export function integration(binaries: string[]): { ignore: boolean } {
  const missing = binaries.find((name) => !hasBinary(name));
  if (missing === undefined) return { ignore: false };
  if (Deno.env.get("REQUIRE_INTEGRATION") === "1") return { ignore: false };
  console.log(skipLine(missing));
  return { ignore: true };
}

/** Throws a one-line error when `name` is missing; for helpers that spawn it. */
export function requireBinary(name: string): void {
  if (!hasBinary(name)) throw new Error(`needs ${name}, not installed (bash scripts/setup.sh)`);
}
