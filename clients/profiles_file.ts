/**
 * The profiles file (PROFILES_FILE), YAML: its syntax errors and the document's mistakes
 * (clients/spec.ts) are both said as `file:line:column: what is wrong`, the column of the value
 * (or key) at fault. Edits made through the admin API are written back through the `yaml`
 * package's document model, so the file's comments and order stay as people wrote them.
 */
// @ts-types="npm:@types/js-yaml@4"
import { load, YAMLException } from "js-yaml";
import { isCollection, isMap, isScalar, LineCounter, type Node, parseDocument } from "yaml";
import { checkPolicy, type PolicyDoc, PolicyError, type SpecContext } from "./spec.ts";

/** Larger files are refused: ten thousand clients take well under a megabyte. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Files larger than this have a mistake located by its path of keys rather than its line:
 * building `yaml`'s syntax tree of a file of a hundred thousand clients, to say where, would
 * stall answering and take a large share of a small machine's memory.
 */
export const LOCATE_MAX_BYTES = 1024 * 1024;

/**
 * A mistake in the profiles file; `message` is `file:line:column: reason`, one line (in a file
 * larger than LOCATE_MAX_BYTES, `file: at <path of keys>: reason`; line and column are then 0).
 */
export class ProfilesFileError extends Error {
  readonly line: number;
  readonly column: number;
  readonly reason: string;
  constructor(file: string, line: number, column: number, reason: string, where?: string) {
    super(
      where === undefined
        ? `${file}:${line}:${column}: ${reason}`
        : `${file}: at ${where}: ${reason}`,
    );
    this.name = "ProfilesFileError";
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

/**
 * Reads the text of a profiles file; throws `ProfilesFileError` at its first mistake.
 *
 * Two YAML packages, each for what it does well: `js-yaml` reads the file, at a fraction of the
 * time and memory of `yaml`'s syntax tree, whose garbage the process kept long after a read of
 * many clients (`deno task bench:all`, cold start and memory with profiles); `yaml`'s tree is
 * built only when the document has a mistake, to say where. Both read YAML 1.2's core schema.
 */
export function parseProfilesFile(text: string, file: string, context: SpecContext): PolicyDoc {
  if (text.length > MAX_FILE_BYTES) {
    throw new ProfilesFileError(file, 1, 1, `larger than ${MAX_FILE_BYTES} bytes`);
  }
  let value: unknown;
  try {
    // Only plain data: js-yaml's default schema has no tags that run code or make objects.
    value = load(text, { filename: file });
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    const mark = error.mark ?? { line: 0, column: 0 };
    throw new ProfilesFileError(file, mark.line + 1, mark.column + 1, firstLine(error.reason));
  }
  try {
    return checkPolicy(value, context);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    if (text.length > LOCATE_MAX_BYTES) {
      throw new ProfilesFileError(
        file,
        0,
        0,
        error.message,
        error.path.join(" \u203a ") || "the top",
      );
    }
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
    const at = lines.linePos(offsetOf(doc.contents, error.path, error.atKey));
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
  const held = doc.get(section, true);
  if (value === undefined) {
    // Nothing to remove from a section that is not there (or a document that is empty).
    if (isCollection(held)) doc.deleteIn([section, name]);
    return doc.toString();
  }
  // `profiles:` with nothing under it reads as no profiles; the yaml package cannot set a key
  // under its empty value, so it becomes an empty mapping first.
  if (held !== undefined && !isCollection(held)) doc.set(section, doc.createNode({}));
  doc.setIn([section, name], doc.createNode(value, { flow: false }));
  return doc.toString();
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
