/**
 * What makes two queries the same for the cache: the name (canonical, lowercase), type and
 * class, and the DO and CD bits, which change what an upstream returns (DNSSEC records,
 * unvalidated data). The client's ID, case spelling, padding and cookies do not.
 *
 * Nor does the profile, but for one thing: a profile with its own upstreams gets their answers,
 * which may differ from the default upstreams', so its keys end in `|via <upstreams>`. Profiles
 * with the same upstreams share those answers, and profiles without any share the default ones
 * (the same upstreams give the same answer).
 */
import type { Profile } from "../pipeline/profile.ts";
import type { QueryContext } from "../pipeline/types.ts";
import { upstreamsKey } from "../upstream/url.ts";

export function cacheKey(
  ctx: Pick<QueryContext, "question" | "head"> & Partial<Pick<QueryContext, "identity">>,
): string {
  const { name, type, class: klass } = ctx.question;
  const dnssecOk = ctx.head.edns?.dnssecOk ? 1 : 0;
  const checkingDisabled = ctx.head.checkingDisabled ? 1 : 0;
  const key = `${name}|${type}|${klass}|${dnssecOk}${checkingDisabled}`;
  const profile = ctx.identity?.profile;
  if (profile?.upstreams === undefined) return key;
  return `${key}|via ${answeredBy(profile)}`;
}

/** The upstreams' key, made once per profile object. */
const spelled = new WeakMap<Profile, string>();

function answeredBy(profile: Profile): string {
  let key = spelled.get(profile);
  if (key === undefined) {
    key = upstreamsKey(profile.upstreams!);
    spelled.set(profile, key);
  }
  return key;
}
