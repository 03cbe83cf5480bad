/**
 * `GET /metrics` in the Prometheus text format. Open like most exporters (counts only, no
 * names or addresses); bind the HTTP door to a private address or filter it at the proxy
 * when that matters.
 */
import { Hono } from "hono";
import type { Metrics } from "../observe/metrics.ts";
import type { AppEnv } from "./env.ts";

export function metricsRoutes(metrics: Pick<Metrics, "expose">): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/metrics", async (c) => {
    const { text, contentType } = await metrics.expose();
    return c.body(text, 200, { "content-type": contentType });
  });
  return routes;
}
