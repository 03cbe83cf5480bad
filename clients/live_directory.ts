/**
 * The directory in force, replaced whole when the profiles change (a file edit, an admin edit,
 * another instance's edit seen in Redis): queries see the old one or the new one, never half.
 * Its version moves with each replacement, so answers remembered under the old profiles are
 * not reused (pipeline/answer_memo.ts).
 */
import type { ClientDirectory, Identity } from "../pipeline/profile.ts";
import { Directory } from "./directory.ts";
import type { PolicyDoc } from "./spec.ts";

export class LiveDirectory implements ClientDirectory {
  #current: Directory;
  #version = 0;

  constructor(doc: PolicyDoc, restricted: boolean) {
    this.#current = new Directory(doc, restricted);
  }

  get current(): Directory {
    return this.#current;
  }

  get version(): number {
    return this.#version;
  }

  get restricted(): boolean {
    return this.#current.restricted;
  }

  identify(clientId: string | undefined, address: string): Identity | undefined {
    return this.#current.identify(clientId, address);
  }

  replace(doc: PolicyDoc): void {
    this.#current = new Directory(doc, this.#current.restricted);
    this.#version++;
  }
}

/** "3 profiles, 12 clients", for the startup and reload lines. */
export function describePolicy(doc: PolicyDoc): string {
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  return `${count(doc.profiles.length, "profile")}, ${count(doc.clients.length, "client")}`;
}
