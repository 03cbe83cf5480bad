/**
 * Profiles for tests: a directory that maps client addresses to profiles (read at each query,
 * so a test can swap a profile as a reload would), and the real chain over real upstreams.
 */
import { createQueryLog, type QueryLog } from "../../observe/query_log.ts";
import { buildChain, type ChainOptions } from "../../pipeline/chain.ts";
import {
  type ClientDirectory,
  type Identity,
  plainProfile,
  type Profile,
} from "../../pipeline/profile.ts";
import { Resolver } from "../../pipeline/resolver.ts";
import { createTransport } from "../../upstream/create.ts";
import { UpstreamPool } from "../../upstream/pool.ts";
import { parseUpstreamUrl } from "../../upstream/url.ts";
import { openLibc } from "../../runtime/libc_sockets.ts";

// The UDP upstream transport opens libc over FFI once per process, for its direct sends: open
// it as this module loads, so the first test that forwards does not hold a library it loaded
// itself (the oldest Deno's test sanitizer counts that as a leak).
openLibc();

/** Clients by address, as the map says at each query; anyone else gets "default". */
export function directoryOf(profiles: Record<string, Profile>): ClientDirectory {
  const fallback: Identity = { profile: plainProfile() };
  return {
    version: 0,
    restricted: false,
    identify: (_clientId, address) => {
      const profile = profiles[address];
      return profile === undefined ? fallback : { profile };
    },
  };
}

/** A pool over real upstreams, by URL (`udp://127.0.0.1:5353`). */
export function poolOf(urls: readonly string[]): UpstreamPool {
  return new UpstreamPool(
    urls.map((url) => createTransport(parseUpstreamUrl(url))),
    { attemptTimeoutMs: 2000 },
  );
}

/** A Resolver running `buildChain(options)` with `profiles` by client address. */
export function chainResolver(
  options: ChainOptions,
  profiles: Record<string, Profile>,
): { resolver: Resolver; log: QueryLog } {
  const log = createQueryLog({ toStdout: false, capacity: 1000 });
  const resolver = new Resolver({
    stages: buildChain(options),
    queryTimeoutMs: 3000,
    log,
    directory: directoryOf(profiles),
  });
  return { resolver, log };
}
