/**
 * The entries that would decide a name, most specific first: the name itself, then for each
 * parent its wildcard form and the parent. "a.b.example" -> a.b.example, *.b.example,
 * b.example, *.example, example. The Redis store asks its sets about exactly these.
 */
export function candidateEntries(name: string): string[] {
  if (name === "") return [];
  const out = [name];
  for (let dot = nextDot(name, 0); dot !== -1; dot = nextDot(name, dot + 1)) {
    const parent = name.slice(dot + 1);
    out.push(`*.${parent}`, parent);
  }
  return out;
}

/** The next label-separating dot at or after `from` (an escaped `\.` is not one), or -1. */
function nextDot(name: string, from: number): number {
  for (let i = from; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code === 0x5c) i++;
    else if (code === 0x2e) return i;
  }
  return -1;
}
