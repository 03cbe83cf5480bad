/**
 * A list's two fingerprint sets as the memory store holds them: its block entries and its allow
 * entries (domain_set.ts), built from the parse's strings and fingerprints, or mapped from a
 * stored build of the same text (shared_sets.ts).
 */
import type { EntryKind, LoadedList } from "./blocklist.ts";
import { DomainSet, type EntryFingerprints } from "./domain_set.ts";
import { runInSlices } from "./slices.ts";

export interface ListSets {
  block: DomainSet;
  allow: DomainSet;
}

/** Builds a loaded list's sets a slice at a time (blocklist/slices.ts). */
export async function buildListSets(list: LoadedList): Promise<ListSets> {
  return {
    block: await runInSlices(DomainSet.buildSteps(list.block, fingerprintsOf(list, "block"))),
    allow: await runInSlices(DomainSet.buildSteps(list.allow, fingerprintsOf(list, "allow"))),
  };
}

/** The entries of that kind the parse fingerprinted, when it did. */
function fingerprintsOf(list: LoadedList, kind: EntryKind): EntryFingerprints | undefined {
  return list.fingerprints?.kind === kind ? list.fingerprints.entries : undefined;
}
