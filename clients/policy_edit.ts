/**
 * One edit of the profiles (the admin API, the dashboard), the same wherever they are kept:
 * the document as it would be after the edit is checked whole before anything is written, so
 * a client is never left pointing at a deleted profile and no ClientID ends up with two clients.
 */
import { checkPolicy, type PolicyDoc, policyValue, type SpecContext } from "./spec.ts";

export type PolicySection = "profiles" | "clients";

/** Set one profile or client (`value`: its fields), or remove it (`value` undefined). */
export interface PolicyEdit {
  section: PolicySection;
  name: string;
  value: Record<string, unknown> | undefined;
}

/** Where profiles are kept and edited: the profiles file, or Redis. */
export interface PolicyStore {
  /** "the profiles file /etc/gw/profiles.yaml", "Redis", for lines and the admin API. */
  readonly description: string;
  /** Applies an edit; throws `PolicyError` when the document would be wrong after it. */
  edit(edit: PolicyEdit): Promise<PolicyDoc>;
  /** Stops watching and polling. */
  close(): void;
}

/** The document after `edit`, checked; throws `PolicyError` at its first mistake. */
export function applyEdit(doc: PolicyDoc, edit: PolicyEdit, context: SpecContext): PolicyDoc {
  const value = policyValue(doc);
  const section = { ...value[edit.section] };
  if (edit.value === undefined) delete section[edit.name];
  else section[edit.name] = edit.value;
  return checkPolicy({ ...value, [edit.section]: section }, context);
}

/** Whether the document has a profile or client of that name (what a delete needs). */
export function holds(doc: PolicyDoc, section: PolicySection, name: string): boolean {
  return section === "profiles"
    ? doc.profiles.some((profile) => profile.name === name)
    : doc.clients.some((client) => client.name === name);
}
