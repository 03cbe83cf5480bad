/**
 * createApp(deps): the Hono app with its routes and no globals, so tests build their own and
 * drive it through `app.request()`.
 */
import { Hono } from "hono";
import { dohRoutes } from "./routes/doh.ts";
import { type AppEnv, reason } from "./routes/env.ts";
import { healthRoutes } from "./routes/health.ts";
import type { Resolver } from "./pipeline/resolver.ts";

export interface AppDeps {
  resolver: Pick<Resolver, "resolve">;
  /** Where unexpected errors are reported; console.error by default. */
  reportError?: (error: unknown) => void;
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.route("/", dohRoutes(deps));
  app.route("/", healthRoutes());
  app.notFound((c) => reason(c, 404, "not found"));
  app.onError((error, c) => {
    (deps.reportError ?? console.error)(error);
    return reason(c, 500, "internal error");
  });
  return app;
}
