/**
 * Liveness for load balancers and Deno Deploy: the process is up and serving HTTP, so always
 * 200. `{"status":"ok"}`, or `{"status":"degraded","problems":[...]}` while it answers but not as
 * configured (e.g. no blocklist loaded: every name resolves unfiltered), one line per problem.
 */
import { Hono } from "hono";
import type { AppEnv } from "./client_address.ts";

export interface HealthDeps {
  /** What is wrong now; none when all is well. */
  problems: () => Promise<string[]>;
}

export function healthRoutes(deps?: HealthDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/health", async (c) => {
    const problems = (await deps?.problems()) ?? [];
    return c.json(problems.length === 0 ? { status: "ok" } : { status: "degraded", problems });
  });
  return routes;
}
