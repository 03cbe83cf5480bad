/**
 * The HTTP door as main.ts serves it: DoH queries are answered by the fast path at once, and
 * everything else (JSON API, dashboard, admin API, metrics, health, every HTTP error) by the
 * Hono app, which is loaded on first need or by `preload()`. Hono and the routes are many
 * modules, and a cold start does not wait for them, for pages a fresh process seldom serves
 * first (`deno task bench:all`, cold start; tests/startup_graph_test.ts keeps them out).
 * The DoH door (doh_door.ts) puts its fast path in front of the loaded routes here, once:
 * the routes it loads (`createRoutes`) have none of their own. Tests build the app itself
 * (app.ts `createApp`), the same routes with the same door in front.
 */
import type { AppDeps } from "../app.ts";
import { DohDoor } from "./doh_door.ts";
import { reason } from "./reason.ts";

/** A handler of the HTTP door; `info` names the peer (doors/http_door.ts `PeerInfo`). */
type Fetch = (
  request: Request,
  info?: { readonly remoteAddr: Deno.Addr },
) => Response | Promise<Response>;

export interface LazyApp {
  fetch: Fetch;
  /** Loads the app now (in the background, after the first answers), so no request waits. */
  preload(): Promise<unknown>;
}

/** Where the app comes from: app.ts, or in tests a loader that fails first. */
export type AppLoader = () => Promise<Pick<typeof import("../app.ts"), "createRoutes">>;

export function lazyApp(
  deps: AppDeps,
  loadModule: AppLoader = () => import("../app.ts"),
): LazyApp {
  const report = deps.reportError ?? console.error;
  const door = new DohDoor(deps);
  let app: Promise<Fetch> | undefined;
  const load = () =>
    app ??= loadModule().then(({ createRoutes }) => {
      const hono = createRoutes(deps, door);
      return (request, info) => hono.fetch(request, info);
    }, (error) => {
      // Reported, answered 500, and tried again on the next request rather than never.
      app = undefined;
      report(error);
      return () => reason(500, "internal error");
    });
  return {
    fetch: door.front((request, info?: { readonly remoteAddr: Deno.Addr }) =>
      load().then((routed) => routed(request, info))
    ),
    preload: load,
  };
}
