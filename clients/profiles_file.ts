/**
 * The profiles file (PROFILES_FILE), YAML read with the `yaml` package: its syntax errors and
 * the document's mistakes (clients/spec.ts) are both said as `file:line:column: what is wrong`,
 * the column of the value at fault. Edits made through the admin API are written back through
 * the same package's document model, so the file's comments and order stay as people wrote them.
 */
import { isCollection, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { checkPolicy, type PolicyDoc, PolicyError, type SpecContext } from "./spec.ts";

/** Larger files are refused: ten thousand clients take well under a megabyte. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** A mistake in the profiles file; `message` is `file:line:column: reason`, one line. */
export class ProfilesFileError extends Error {
  readonly line: number;
  readonly column: number;
  readonly reason: string;
  constructor(file: string, line: number, column: number, reason: string) {
    super(`${file}:${line}:${column}: ${reason}`);
    this.name = "ProfilesFileError";
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

/** Reads the text of a profiles file; throws `ProfilesFileError` at its first mistake. */
export function parseProfilesFile(text: string, file: string, context: SpecContext): PolicyDoc {
  if (text.length > MAX_FILE_BYTES) {
    throw new ProfilesFileError(file, 1, 1, `larger than ${MAX_FILE_BYTES} bytes`);
  }
  const lines = new LineCounter();
  // The package's own check for repeated keys compares each key with every other (ten thousand
  // clients took seconds): `repeatedKey` does it with a set.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  const [problem] = doc.errors;
  if (problem !== undefined) {
    const at = problem.linePos?.[0] ?? { line: 1, col: 1 };
    throw new ProfilesFileError(file, at.line, at.col, firstLine(problem.message));
  }
  const repeated = repeatedKey(doc.contents);
  if (repeated !== undefined) {
    const at = lines.linePos(repeated.offset);
    throw new ProfilesFileError(file, at.line, at.col, `"${repeated.key}" is given twice`);
  }
  let value: unknown;
  try {
    // Aliases are expanded within the package's bound (a "billion laughs" file is an error).
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ProfilesFileError(file, 1, 1, firstLine((error as Error).message));
  }
  try {
    return checkPolicy(value, context);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    const offset = offsetOf(doc.contents, error.path, error.atKey);
    const at = lines.linePos(offset);
    throw new ProfilesFileError(file, at.line, at.col, error.message);
  }
}

/**
 * The file's text with one profile or client set to `value` (undefined: removed), comments
 * and everything else kept as written.
 */
export function editProfilesFile(
  text: string,
  section: "profiles" | "clients",
  name: string,
  value: Record<string, unknown> | undefined,
): string {
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) throw new Error(firstLine(doc.errors[0].message));
  if (value === undefined) doc.deleteIn([section, name]);
  else doc.setIn([section, name], doc.createNode(value, { flow: false }));
  return doc.toString();
}

/** The first key given twice in any mapping of the document, and where; undefined: none. */
function repeatedKey(root: unknown): { key: string; offset: number } | undefined {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const node = pending.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(key)) {
          return { key: String(key), offset: (pair.key as Node).range?.[0] ?? 0 };
        }
        seen.add(key);
        pending.push(pair.value);
      }
    } else if (isSeq(node)) {
      pending.push(...node.items);
    }
  }
  return undefined;
}

/**
 * Where the value at `path` starts (its key, with `atKey`); where its nearest ancestor starts
 * when the path goes further than the document does (a missing key).
 */
function offsetOf(root: unknown, path: readonly (string | number)[], atKey: boolean): number {
  let node = root as Node | null;
  let offset = node?.range?.[0] ?? 0;
  for (const [i, key] of path.entries()) {
    if (!isCollection(node)) break;
    if (atKey && i === path.length - 1 && isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
      return (pair?.key as Node | undefined)?.range?.[0] ?? offset;
    }
    const child = node.get(key, true) as Node | undefined;
    if (child === undefined || child === null) break;
    node = child;
    offset = child.range?.[0] ?? offset;
  }
  return offset;
}

function firstLine(message: string): string {
  return message.split("\n", 1)[0];
}
