/**
 * The dashboard on an app built by `createApp`, in front of a real resolver: a table stage as
 * upstream, the blocklist stage with one list ("ads" blocks ads.example), a real query log.
 * With helpers to ask a name over DoH, log in, and post a form as the page would.
 */
import assert from "node:assert/strict";
import { type AppDeps, createApp } from "../../app.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { blocklistStage, type BlocklistStageOptions } from "../../blocklist/stage.ts";
import { decodeMessage, RType } from "../../dns/mod.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { QueryStats } from "../../observe/stats.ts";
import type { DashboardDeps } from "../../routes/dashboard.tsx";
import { makeQuery } from "./dns_query.ts";
import { localResolver } from "./local_resolver.ts";

export const DASHBOARD_TOKEN = "dashboard-token-0123456789";

export interface DashboardAppOptions {
  /** More of the dashboard's deps (history, pause, lists…). */
  dashboard?: Partial<DashboardDeps>;
  /** More of the blocklist stage's options (a pause…). */
  stage?: Partial<BlocklistStageOptions>;
  /** The admin API's deps (its token is the dashboard's); absent: no admin API. */
  admin?: Omit<NonNullable<AppDeps["admin"]>, "token">;
  /** What the upstream table answers; www, mail and ads under example by default. */
  table?: Record<string, string[]>;
}

export async function dashboardApp(options: DashboardAppOptions = {}) {
  const given = options.stage?.blocklist;
  const blocklist = given ?? new MemoryBlocklist();
  if (given === undefined) {
    await blocklist.load([{ name: "ads", block: ["ads.example"], allow: [] }]);
  }
  const stats = new QueryStats();
  const log = createQueryLog({
    toStdout: false,
    capacity: 200,
    observers: [(e) => stats.record(e)],
  });
  const stage = blocklistStage({
    blocklist,
    answer: { response: "nxdomain", ttl: 60 },
    failMode: "open",
    ...options.stage,
  });
  const table = options.table ??
    { "www.example": ["192.0.2.1"], "mail.example": ["192.0.2.25"], "ads.example": ["192.0.2.9"] };
  const resolver = localResolver(table, { extraStages: [stage], log });
  const app = createApp({
    resolver,
    admin: options.admin && { token: DASHBOARD_TOKEN, ...options.admin },
    dashboard: {
      token: DASHBOARD_TOKEN,
      instance: "test-dash",
      stats,
      log,
      blocklist,
      listSources: [{ name: "ads", location: "/lists/ads.txt", kind: "block" }],
      ...options.dashboard,
    },
  });
  /** The rcode of a DoH query for `name` (A), from `from` when given. */
  const rcodeOf = async (name: string, from?: string) => {
    const dns = makeQuery(name, RType.A).toBase64({ alphabet: "base64url", omitPadding: true });
    const env = from && { remoteAddr: { transport: "tcp", hostname: from, port: 5353 } };
    const response = await app.request(`/dns-query?dns=${dns}`, {}, env || undefined);
    return decodeMessage(new Uint8Array(await response.arrayBuffer())).header.rcode;
  };
  const post = (path: string, fields: Record<string, string>, headers: Record<string, string>) =>
    app.request(`http://gw.test${path}`, {
      method: "POST",
      body: new URLSearchParams(fields).toString(),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: "http://gw.test",
        host: "gw.test",
        ...headers,
      },
    });
  const login = async () => {
    const response = await post("/login", { token: DASHBOARD_TOKEN }, {});
    assert.equal(response.status, 303);
    return (response.headers.get("set-cookie") ?? "").split(";", 1)[0];
  };
  /** The page at `path` as a logged-in person gets it: status and HTML. */
  const page = async (path: string, cookie: string) => {
    const response = await app.request(path, { headers: { cookie } });
    return { status: response.status, html: await response.text() };
  };
  /** An admin API call with the token. */
  const admin = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${DASHBOARD_TOKEN}`);
    return app.request(new Request(new URL(path, "http://localhost"), { ...init, headers }));
  };
  return { app, blocklist, log, rcodeOf, post, login, page, admin };
}
