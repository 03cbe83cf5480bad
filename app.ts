/**
 * createApp(deps): the Hono app with its routes and no globals, so tests build their own and
 * drive it through `app.request()`.
 */
import { Hono } from "hono";
import { adminAuth } from "./routes/admin_auth.ts";
import { AuthThrottle } from "./routes/auth_throttle.ts";
import { type AdminBlocklistDeps, adminBlocklistRoutes } from "./routes/admin_blocklist.ts";
import { type AdminCacheDeps, adminCacheRoutes } from "./routes/admin_cache.ts";
import { type AdminLogDeps, adminLogRoutes } from "./routes/admin_log.ts";
import { adminPauseRoutes, type PauseControl } from "./routes/admin_pause.ts";
import { type AdminStatsDeps, adminStatsRoutes } from "./routes/admin_stats.ts";
import { adminWhyRoutes, type WhyDeps } from "./routes/admin_why.ts";
import { type AdminProfilesDeps, adminProfilesRoutes } from "./routes/admin_profiles.ts";
import { boundedBody, DEFAULT_BODY_TIMEOUT_MS } from "./routes/bounded_body.ts";
import { type AppEnv, forwardedClient } from "./routes/client_address.ts";
import type { ClientAdmission } from "./routes/client_id.ts";
import { rateLimit } from "./routes/rate_limit.ts";
import { type DashboardDeps, dashboardRoutes } from "./routes/dashboard.tsx";
import { DOH_PATH, DohDoor } from "./routes/doh_door.ts";
import { reason } from "./routes/reason.ts";
import { type HealthDeps, healthRoutes } from "./routes/health.ts";
import { jsonRoutes } from "./routes/json.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { refuseBodyOnGet } from "./routes/no_body.ts";
import type { Metrics } from "./observe/metrics.ts";
import type { Resolver } from "./pipeline/resolver.ts";
import type { CidrSet } from "./net/cidr.ts";
import type { RateLimiter } from "./net/rate_limit.ts";
import { StoreError } from "./store/errors.ts";

/** `directory` and `refusals` (ClientAdmission): who is who at the DoH and JSON doors. */
export interface AppDeps extends ClientAdmission {
  resolver: Pick<Resolver, "resolve" | "repeat">;
  /** The admin API: off (404) without a token. */
  admin?: {
    token?: string;
    blocklist?: AdminBlocklistDeps;
    log?: AdminLogDeps;
    stats?: AdminStatsDeps;
    cache?: AdminCacheDeps;
    why?: WhyDeps;
    profiles?: AdminProfilesDeps;
    /** Pausing blocking (`/admin/pause`). */
    pause?: PauseControl;
  };
  /** The dashboard at `/`; absent: no such page. */
  dashboard?: DashboardDeps;
  /** What `/health` reports as problems; absent: always ok. */
  health?: HealthDeps;
  /** `/metrics`; absent: no such path. */
  metrics?: Pick<Metrics, "expose">;
  /** The bearer token `/metrics` asks for (METRICS_TOKEN); absent: open. */
  metricsToken?: string;
  /** Proxies whose X-Forwarded-For / Forwarded name the client (TRUSTED_PROXIES); none if absent. */
  trustedProxies?: CidrSet;
  /** How long a request body may take to arrive (HTTP_BODY_TIMEOUT_MS). */
  bodyTimeoutMs?: number;
  /** Per-client limit of DoH and JSON queries (DOH_RATE); absent: no limit. */
  rateLimiter?: Pick<RateLimiter, "wait">;
  /** Wrong admin tokens per client, for the admin API and the dashboard; default limits if absent. */
  authThrottle?: AuthThrottle;
  /** Where unexpected errors are reported; console.error by default. */
  reportError?: (error: unknown) => void;
}

/** Largest request body but DoH's (which has its own): an admin edit of 10,000 names fits. */
const MAX_BODY = 1024 * 1024;

/**
 * The app as tests and in-process callers use it: the routes with the DoH door's fast path in
 * front (routes/doh_door.ts `DohDoor.front`).
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const door = new DohDoor(deps);
  const app = createRoutes(deps, door);
  app.fetch = door.front(app.fetch);
  return app;
}

/**
 * The routes alone, for a door that has the DoH fast path in front already (routes/lazy_app.ts);
 * `door` answers what reaches /dns-query.
 */
export function createRoutes(deps: AppDeps, door: DohDoor): Hono<AppEnv> {
  const report = deps.reportError ?? console.error;
  const app = new Hono<AppEnv>();
  // Before any route: a GET or HEAD with a body is refused, for every route at once.
  app.use("*", async (c, next) => refuseBodyOnGet(c.req.raw) ?? await next());
  // Then the client address every route logs and limits by.
  if (deps.trustedProxies) app.use("*", forwardedClient(deps.trustedProxies));
  if (deps.rateLimiter) {
    const limit = rateLimit(deps.rateLimiter);
    // Each with and without a ClientID segment.
    for (const path of ["/dns-query/*", "/resolve/*"]) app.use(path, limit);
  }
  // Before DoH: a GET /dns-query that asks for JSON is the JSON API's.
  // One count and throttle of refused strangers for DoH and JSON alike.
  app.route("/", jsonRoutes({ ...deps, refusals: door.refusals }));
  app.all(DOH_PATH, (c) => door.routed(c));
  app.all(`${DOH_PATH}/:clientId`, (c) => door.routed(c));
  // No body is read before the token is checked.
  const throttle = deps.authThrottle ?? new AuthThrottle();
  app.use("/admin/*", adminAuth(deps.admin?.token, throttle));
  // Every body the routes below read: bounded in size and in time (DoH bounds its own).
  app.use(
    "*",
    boundedBody({
      maxBytes: MAX_BODY,
      timeoutMs: deps.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
      what: "request body",
    }),
  );
  app.route("/", healthRoutes(deps.health));
  if (deps.metrics) app.route("/", metricsRoutes(deps.metrics, deps.metricsToken));
  if (deps.dashboard) app.route("/", dashboardRoutes(deps.dashboard, throttle));
  const admin = deps.admin ?? {};
  if (admin.blocklist) app.route("/admin/blocklist", adminBlocklistRoutes(admin.blocklist));
  if (admin.log) app.route("/admin/log", adminLogRoutes(admin.log));
  if (admin.stats) app.route("/admin/stats", adminStatsRoutes(admin.stats));
  if (admin.cache) app.route("/admin/cache", adminCacheRoutes(admin.cache));
  if (admin.why) app.route("/admin/why", adminWhyRoutes(admin.why));
  if (admin.profiles) app.route("/admin", adminProfilesRoutes(admin.profiles));
  if (admin.pause) app.route("/admin/pause", adminPauseRoutes(admin.pause));
  app.notFound(() => reason(404, "not found"));
  app.onError((error) => {
    // Redis down or slow: the admin call could not be made, and says why.
    if (error instanceof StoreError) return reason(503, error.message);
    report(error);
    return reason(500, "internal error");
  });
  return app;
}
