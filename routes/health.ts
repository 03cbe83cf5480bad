/** Liveness for load balancers and Deno Deploy: the process is up and serving HTTP. */
import { Hono } from "hono";
import type { AppEnv } from "./env.ts";

export function healthRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/health", (c) => c.json({ status: "ok" }));
  return routes;
}
