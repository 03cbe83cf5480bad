/**
 * `GET /metrics` in the Prometheus text format. Open like most exporters (counts only, no
 * names or addresses) unless METRICS_TOKEN is set: then only a scrape with
 * `Authorization: Bearer <METRICS_TOKEN>` (Prometheus: `authorization: {credentials: ...}`) gets
 * it, 401 without a token and 403 with a wrong one, compared in constant time.
 */
import { Hono } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import type { Metrics } from "../observe/metrics.ts";
import type { AppEnv } from "./client_address.ts";
import { reason } from "./reason.ts";

export function metricsRoutes(metrics: Pick<Metrics, "expose">, token?: string): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/metrics", async (c) => {
    if (token !== undefined) {
      const header = c.req.header("authorization");
      const given = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (given === null) {
        return reason(401, "/metrics needs Authorization: Bearer <METRICS_TOKEN>", {
          "www-authenticate": 'Bearer realm="metrics"',
        });
      }
      if (!(await timingSafeEqual(given[1], token))) return reason(403, "wrong metrics token");
    }
    const { text, contentType } = await metrics.expose();
    return c.body(text, 200, { "content-type": contentType });
  });
  return routes;
}
