/**
 * createApp(deps): the Hono app with its routes and no globals, so tests build their own and
 * drive it through `app.request()`.
 */
import { Hono } from "hono";
import { dohFastPath, dohRoutes } from "./routes/doh.ts";
import { type AppEnv, reason } from "./routes/env.ts";
import { healthRoutes } from "./routes/health.ts";
import type { Resolver } from "./pipeline/resolver.ts";

export interface AppDeps {
  resolver: Pick<Resolver, "resolve">;
  /** Where unexpected errors are reported; console.error by default. */
  reportError?: (error: unknown) => void;
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const report = deps.reportError ?? console.error;
  const app = new Hono<AppEnv>();
  app.route("/", dohRoutes({ ...deps, reportError: report }));
  app.route("/", healthRoutes());
  app.notFound(() => reason(404, "not found"));
  app.onError((error) => {
    report(error);
    return reason(500, "internal error");
  });
  // DoH queries are answered before the router: Hono's dispatch (routing, context, middleware
  // compose) was a visible share of a cached answer's CPU. Whatever the fast path does not
  // take (errors, other paths and methods) goes through the routes, which say what is wrong.
  const fast = dohFastPath({ ...deps, reportError: report });
  const routed = app.fetch;
  app.fetch = (request, env, executionCtx) =>
    fast(request, env && "remoteAddr" in env ? env.remoteAddr : undefined) ??
      routed(request, env, executionCtx);
  return app;
}
