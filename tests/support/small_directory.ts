/**
 * A small ClientDirectory for tests: identities by address, a fallback for the rest. Profiles
 * are plain data (pipeline/profile.ts), so tests make them as they need them.
 */
import {
  type ClientDirectory,
  type Identity,
  plainProfile,
  type Profile,
} from "../../pipeline/profile.ts";

/** A profile of `name` with the fields given, the rest as plainProfile's. */
export function profileOf(name: string, fields: Partial<Profile> = {}): Profile {
  return { ...plainProfile(name), ...fields };
}

/** Identities by client address; others get `fallback` (the default profile, unnamed). */
export function directoryByAddress(
  byAddress: Record<string, Identity>,
  fallback: Identity = { profile: plainProfile() },
): ClientDirectory {
  return {
    version: 0,
    restricted: false,
    identify: (_clientId, address) => byAddress[address] ?? fallback,
  };
}
