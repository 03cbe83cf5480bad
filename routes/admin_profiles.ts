/**
 * Admin API for profiles and clients (behind the admin token):
 * - `GET    /admin/profiles`: every profile and client, in the profiles file's shape, and where
 *   they are kept;
 * - `PUT    /admin/profiles/<name>` with the profile's fields as JSON (`{"blocklists":
 *   ["hagezi-pro"], "safe_search": true}`), `DELETE /admin/profiles/<name>`;
 * - `PUT    /admin/clients/<name>` with `{"profile": "kids", "ids": ["kids-tablet"]}`,
 *   `DELETE /admin/clients/<name>`.
 * An edit is checked whole before it is kept (clients/policy_edit.ts): a mistake is 400 naming
 * the field, a profile a client still uses cannot be deleted. It takes effect at once here, and
 * within about a second on every instance sharing Redis.
 */
import { Hono } from "hono";
import type { LiveDirectory } from "../clients/live_directory.ts";
import { holds, type PolicySection, type PolicyStore } from "../clients/policy_edit.ts";
import { PolicyError, policyValue } from "../clients/spec.ts";
import type { AppEnv } from "./client_address.ts";
import { reason } from "./reason.ts";

export interface AdminProfilesDeps {
  directory: Pick<LiveDirectory, "current">;
  /** Where edits are kept; without one (no PROFILES_FILE, no Redis) edits are refused. */
  store?: PolicyStore;
}

const NO_STORE = "profiles cannot be edited here: set PROFILES_FILE (a file the gateway may " +
  "write) or Redis (REDIS_URL, or Upstash) to keep them";

export function adminProfilesRoutes(deps: AdminProfilesDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/profiles", (c) =>
    c.json({
      storedIn: deps.store?.description ?? null,
      restricted: deps.directory.current.restricted,
      ...policyValue(deps.directory.current.doc),
    }));
  for (const section of ["profiles", "clients"] as const) {
    routes.put(`/${section}/:name`, async (c) => {
      let value: unknown;
      try {
        value = await c.req.json();
      } catch {
        return reason(
          400,
          `expected a JSON object of the ${section === "profiles" ? "profile" : "client"}'s fields`,
        );
      }
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return reason(400, "expected a JSON object");
      }
      return await edit(c.req.param("name"), section, value as Record<string, unknown>);
    });
    routes.delete(`/${section}/:name`, async (c) => {
      const name = c.req.param("name");
      if (!holds(deps.directory.current.doc, section, name)) {
        return reason(404, `no ${section === "profiles" ? "profile" : "client"} named "${name}"`);
      }
      return await edit(name, section, undefined);
    });
  }

  async function edit(
    name: string,
    section: PolicySection,
    value: Record<string, unknown> | undefined,
  ): Promise<Response> {
    if (deps.store === undefined) return reason(409, NO_STORE);
    try {
      const doc = await deps.store.edit({ section, name, value });
      return Response.json(policyValue(doc));
    } catch (error) {
      if (error instanceof PolicyError) {
        return Response.json({ error: error.message, at: error.path }, { status: 400 });
      }
      throw error;
    }
  }
  return routes;
}
