/**
 * The dashboard at `/`, behind the admin token: a login form that starts a session
 * (sessions.ts) kept in an HttpOnly, SameSite=Strict cookie (Secure over TLS), the page
 * itself, and its form actions (block, allow, remove, log out, which ends the session). Wrong
 * tokens count against the client's budget, shared with the admin API (auth_throttle.ts).
 * Forms post back and redirect (so a reload does not post again); a post from another origin
 * is refused. Strict security headers: no scripts at all, inline styles only, no framing.
 */
import { Hono } from "hono";
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { secureHeaders } from "hono/secure-headers";
import { timingSafeEqual } from "hono/utils/buffer";
import type { Blocklist, EntryKind } from "../blocklist/blocklist.ts";
import { blocklistProblem } from "../blocklist/load_state.ts";
import type { ListSource } from "../blocklist/source.ts";
import { normalizeDomain } from "../dns/domain_entry.ts";
import type { AnswerCache } from "../cache/answer_cache.ts";
import { logFilter } from "../observe/log_filter.ts";
import type { QueryLog } from "../observe/query_log.ts";
import { recentQueries } from "../observe/recent_queries.ts";
import type { QueryStats } from "../observe/stats.ts";
import { explainGiven, type WhyDeps } from "./admin_why.ts";
import { type AuthThrottle, TOO_MANY_WRONG_TOKENS } from "./auth_throttle.ts";
import { type AppEnv, clientAddress } from "./client_address.ts";
import { reason } from "./reason.ts";
import { retryAfter } from "./rate_limit.ts";
import { MemorySessions, SESSION_SECONDS, type SessionStore } from "./sessions.ts";
import type { AdminProfilesDeps } from "./admin_profiles.ts";
import { mountProfilesPage } from "./dashboard_profiles.tsx";
import { formFields } from "./form_fields.ts";
import { DashboardPage } from "./ui/dashboard_page.tsx";
import type { History } from "../observe/history.ts";
import { LoginPage } from "./ui/login_page.tsx";

export interface DashboardDeps {
  token?: string;
  instance: string;
  stats: Pick<QueryStats, "snapshot">;
  log: Pick<QueryLog, "recent" | "answerOf">;
  /** The configured lists, to tell "no blocklist loaded" (blocklist/load_state.ts). */
  listSources?: readonly ListSource[];
  blocklist: Pick<Blocklist, "summary" | "customEntries" | "edit" | "decide" | "addressRules">;
  cache?: Pick<AnswerCache, "stats" | "peek">;
  records?: WhyDeps["records"];
  rebinding?: WhyDeps["rebinding"];
  /** For the "why" box's "as" field: the profile a profile, client or ClientID names. */
  profileFor?: WhyDeps["profileFor"];
  /** Where sessions live: Redis when configured (every instance knows them); memory if absent. */
  sessions?: SessionStore;
  /** Profiles and clients, for the profiles page; absent: no such page. */
  profiles?: AdminProfilesDeps;
  /** The query history: log search and statistics over a range (observe/history.ts). */
  history?: History;
}

const COOKIE = "gw_session";
const RECENT = 25;

export function dashboardRoutes(deps: DashboardDeps, throttle: AuthThrottle): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const token = deps.token;
  const sessions = deps.sessions ?? new MemorySessions();
  const headers = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      styleSrc: ["'unsafe-inline'"],
      imgSrc: ["'self'", "data:"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    referrerPolicy: "same-origin",
  });
  const gate: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (token === undefined) return reason(404, "dashboard is off: set ADMIN_TOKEN to use it");
    if (c.req.method === "POST" && !sameOrigin(c)) return reason(403, "cross-origin form post");
    await next();
  };
  // Only the dashboard's own paths: other paths (and their 404s) are none of its business.
  for (const path of ["/", "/login", "/logout", "/profiles", "/ui/*"]) {
    routes.use(path, headers, gate);
  }

  routes.post("/login", async (c) => {
    const address = clientAddress(c);
    const waitMs = throttle.waitMs(address);
    if (waitMs > 0) {
      return c.html(
        <LoginPage error={`Refused: ${TOO_MANY_WRONG_TOKENS}.`} />,
        429,
        retryAfter(waitMs),
      );
    }
    const form = await formFields(c);
    if (form instanceof Response) return form;
    const given = typeof form.token === "string" ? form.token : "";
    if (!(await timingSafeEqual(given, token!))) {
      throttle.failed(address);
      return c.html(<LoginPage error="Wrong token." />, 403);
    }
    setCookie(c, COOKIE, await sessions.start(), {
      httpOnly: true,
      sameSite: "Strict",
      secure: new URL(c.req.url).protocol === "https:",
      path: "/",
      maxAge: SESSION_SECONDS,
    });
    return c.redirect("/", 303);
  });

  routes.post("/logout", async (c) => {
    const id = getCookie(c, COOKIE);
    if (id !== undefined) await sessions.end(id);
    deleteCookie(c, COOKIE, { path: "/" });
    return c.redirect("/", 303);
  });

  const loggedIn = async (c: Context<AppEnv>) => {
    const id = getCookie(c, COOKIE);
    return id !== undefined && await sessions.isLive(id);
  };

  routes.get("/", async (c) => {
    if (!(await loggedIn(c))) return c.html(<LoginPage />, 200);
    const whyName = c.req.query("why");
    const clientFilter = logFilter({ client: c.req.query("client") });
    const data = {
      instance: deps.instance,
      stats: deps.stats.snapshot(),
      cache: deps.cache?.stats(),
      lists: await deps.blocklist.summary(),
      custom: await deps.blocklist.customEntries(),
      recent: recentQueries(deps.log, RECENT, "error" in clientFilter ? {} : clientFilter),
      client: "error" in clientFilter ? undefined : c.req.query("client") || undefined,
      problem: await blocklistProblem(deps.blocklist, deps.listSources ?? []),
      why: whyName === undefined
        ? undefined
        : await explainGiven(deps, whyName, c.req.query("type"), c.req.query("as")),
      notice: "error" in clientFilter
        ? { text: clientFilter.error, error: true }
        : notice(c.req.query("done"), c.req.query("name")),
    };
    return c.html(<DashboardPage data={data} />);
  });

  mountProfilesPage(routes, {
    instance: deps.instance,
    profiles: deps.profiles,
    listSources: deps.listSources,
    loggedIn,
  });

  for (const [path, action] of [["/ui/block", "add"], ["/ui/remove", "remove"]] as const) {
    routes.post(path, async (c) => {
      if (!(await loggedIn(c))) return c.redirect("/", 303);
      const form = await formFields(c);
      if (form instanceof Response) return form;
      const kind: EntryKind = form.kind === "allow" ? "allow" : "block";
      const normal = normalizeDomain(typeof form.name === "string" ? form.name : "");
      if ("reason" in normal) {
        return c.redirect(`/?done=invalid&name=${encodeURIComponent(String(form.name))}`, 303);
      }
      await deps.blocklist.edit(action, kind, [normal.name]);
      const done = action === "add" ? (kind === "block" ? "blocked" : "allowed") : "removed";
      return c.redirect(`/?done=${done}&name=${encodeURIComponent(normal.name)}`, 303);
    });
  }
  return routes;
}

function notice(done: string | undefined, name: string | undefined) {
  if (done === undefined || name === undefined) return undefined;
  if (done === "invalid") {
    return { text: `"${name}" is not a name that can be listed.`, error: true };
  }
  const what = { blocked: "is blocked", allowed: "is allowed", removed: "was removed" }[done];
  return what ? { text: `${name} ${what}. It takes effect on the next query.` } : undefined;
}

/** A form post from this very origin (browsers send Origin on every POST). */
function sameOrigin(c: Context<AppEnv>): boolean {
  const origin = c.req.header("origin");
  if (origin === undefined || origin === "null") return origin === undefined;
  try {
    return new URL(origin).host === (c.req.header("host") ?? new URL(c.req.url).host);
  } catch {
    return false;
  }
}
