/**
 * Who is who, made from a profiles document: a ClientID is one map probe, an address one probe
 * per distinct range length (net/cidr_map.ts). A client known by neither gets the profile named
 * "default" (a plain one when the document has none), unless only known clients are answered
 * (CLIENTS_ONLY). Identities are made once here, so identifying a client allocates nothing.
 */
import { parseCidr } from "../net/cidr.ts";
import { CidrMap } from "../net/cidr_map.ts";
import {
  type ClientDirectory,
  DEFAULT_PROFILE,
  type Identity,
  plainProfile,
  type Profile,
} from "../pipeline/profile.ts";
import type { ClientSpec, PolicyDoc } from "./spec.ts";

export class Directory implements ClientDirectory {
  readonly version = 0;
  readonly restricted: boolean;
  readonly doc: PolicyDoc;
  readonly profiles: ReadonlyMap<string, Profile>;
  readonly #byId = new Map<string, Identity>();
  readonly #byAddress: CidrMap<Identity>;
  readonly #stranger: Identity;

  constructor(doc: PolicyDoc, restricted: boolean) {
    this.doc = doc;
    this.restricted = restricted;
    const profiles = new Map(doc.profiles.map((profile) => [profile.name, profile]));
    if (!profiles.has(DEFAULT_PROFILE)) profiles.set(DEFAULT_PROFILE, plainProfile());
    this.profiles = profiles;
    this.#stranger = { profile: profiles.get(DEFAULT_PROFILE)! };
    const ranges: [ReturnType<typeof parseCidr> & object, Identity][] = [];
    for (const client of doc.clients) {
      const profile = profiles.get(client.profile) ?? this.#stranger.profile;
      for (const id of client.ids) {
        this.#byId.set(id, { profile, name: client.name, clientId: id });
      }
      const byAddress: Identity = { profile, name: client.name };
      for (const address of client.addresses) {
        const cidr = parseCidr(address);
        if (cidr !== undefined) ranges.push([cidr, byAddress]);
      }
    }
    this.#byAddress = new CidrMap(ranges);
  }

  identify(clientId: string | undefined, address: string): Identity | undefined {
    if (clientId !== undefined) {
      const known = this.#byId.get(clientId);
      if (known !== undefined) return known;
      // An unknown ClientID is a stranger even from a known address: the ClientID is what
      // the device was given.
      return this.restricted ? undefined : this.#stranger;
    }
    return this.#byAddress.get(address) ?? (this.restricted ? undefined : this.#stranger);
  }

  /**
   * The profile `who` names, for explaining an answer: a profile's name, a client's display
   * name, or a ClientID; undefined for none of these.
   */
  profileFor(who: string): Profile | undefined {
    const profile = this.profiles.get(who);
    if (profile !== undefined) return profile;
    const client = this.client(who);
    if (client !== undefined) return this.profiles.get(client.profile) ?? this.#stranger.profile;
    return this.#byId.get(who.toLowerCase())?.profile;
  }

  /** The client a name belongs to, for the admin API. */
  client(name: string): ClientSpec | undefined {
    return this.doc.clients.find((client) => client.name === name);
  }
}
