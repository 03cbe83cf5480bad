/**
 * Profiles and who is who: the policy a query is answered under, and how a client is known.
 * A profile is plain data, checked where it is read (clients/); each stage makes what it needs
 * of one (a compiled entry set, an upstream pool) itself, keyed by the profile object, which a
 * reload replaces rather than changes. A client is known by its ClientID (the DoH path, the
 * DoT server name) or else by its address; whoever is known by neither gets `default`.
 */
import type { ClientLogMode } from "../observe/client_privacy.ts";

/** The profile clients not mapped elsewhere get; every directory has one. */
export const DEFAULT_PROFILE = "default";

/** How a profile's queries are logged: as LOG_CLIENT says for the client, and "off": no line. */
export type ProfileLogMode = ClientLogMode;

export interface Profile {
  /** `[a-z0-9-]`, 1-63: shown in the log, EDE texts, metrics and the admin API. */
  readonly name: string;
  /** The block lists in effect, by name; undefined: every configured one. */
  readonly blocklists?: readonly string[];
  /** The allowlists in effect, by name; undefined: every configured one. */
  readonly allowlists?: readonly string[];
  /** The profile's own entries, as list entries ("example.com", "*.example.com"). */
  readonly block: readonly string[];
  /** Its own allow entries: they win over every list's block entries and its own. */
  readonly allow: readonly string[];
  /** The block answer ("nxdomain", "nodata", "null", "refused"); undefined: BLOCK_RESPONSE. */
  readonly blockResponse?: string;
  /** Search engines answered with their vendors' safe endpoints. */
  readonly safeSearch: boolean;
  /** Its own upstream URLs; undefined: UPSTREAMS. */
  readonly upstreams?: readonly string[];
  /** What its log lines say of the client, or "off" for none; undefined: LOG_CLIENT. */
  readonly log?: ProfileLogMode;
}

/** A client as the directory knows it. */
export interface Identity {
  readonly profile: Profile;
  /** Its display name, when it is a mapped client. */
  readonly name?: string;
  /** The ClientID it came with (DoH path, DoT server name), lower-cased. */
  readonly clientId?: string;
}

/** Who is who: ClientIDs and address ranges to profiles and names. */
export interface ClientDirectory {
  /** Moves whenever any identity or profile may have changed (answers reused before are not). */
  readonly version: number;
  /**
   * Whether only known clients are answered (CLIENTS_ONLY): a ClientID not in the directory,
   * or none, is then refused, as is an address no range maps.
   */
  readonly restricted: boolean;
  /**
   * The identity of a client: by its ClientID when it sent one, else by its address. Undefined
   * only when the directory is restricted and does not know it.
   */
  identify(clientId: string | undefined, address: string): Identity | undefined;
}

/**
 * A profile that changes nothing: every list, no entries of its own, the global settings.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plainProfile } from "./profile.ts";
 *
 * assert.equal(plainProfile().name, "default");
 * assert.equal(plainProfile("guest").blocklists, undefined, "every configured list");
 * ```
 */
export function plainProfile(name: string = DEFAULT_PROFILE): Profile {
  return { name, block: [], allow: [], safeSearch: false };
}

/**
 * A directory of one profile that every client gets: the gateway without a profiles file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { onlyProfile, plainProfile } from "./profile.ts";
 *
 * const directory = onlyProfile(plainProfile());
 * assert.equal(directory.identify("kids-tablet", "192.0.2.1")?.profile.name, "default");
 * assert.equal(directory.restricted, false);
 * ```
 */
export function onlyProfile(profile: Profile): ClientDirectory {
  const identity: Identity = { profile };
  return { version: 0, restricted: false, identify: () => identity };
}

/** A ClientID: one DNS label, letters, digits and hyphens, case-insensitive. */
export const CLIENT_ID = /^[a-z0-9-]{1,63}$/i;

/** The rule a ClientID breaks, said the same way by every door. */
export const CLIENT_ID_RULE = "a ClientID is one DNS label: letters, digits and '-', 1-63 long";
