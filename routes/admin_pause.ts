/**
 * Pausing blocking from the admin API, under /admin/pause (behind the admin token):
 * - `GET    /admin/pause`: `{"paused": false}`, or `{"paused": true, "until": "<ISO time>"}`
 *   (no `until`: until resumed);
 * - `POST   /admin/pause` with `{"minutes": 5}`: paused for that long (1 to a week); with `{}`,
 *   until resumed;
 * - `DELETE /admin/pause`: blocking again.
 * With Redis the pause holds on every instance sharing it within about a second.
 */
import { Hono } from "hono";
import { type BlockingPause, MAX_PAUSE_MINUTES, type PauseState } from "../blocklist/pause.ts";
import type { AppEnv } from "./client_address.ts";
import { reason } from "./reason.ts";

/** What the admin API and the dashboard use of the pause. */
export type PauseControl = Pick<BlockingPause, "state" | "pause" | "resume">;

export function adminPauseRoutes(pause: PauseControl): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/", (c) => c.json(shown(pause.state())));
  routes.post("/", async (c) => {
    let body: unknown;
    try {
      body = await c.req.raw.json();
    } catch {
      return reason(400, 'expected a JSON body: {"minutes": 5}, or {} for until resumed');
    }
    const minutes = pauseMinutes((body as { minutes?: unknown } | null)?.minutes);
    if (typeof minutes === "string") return reason(400, minutes);
    return c.json(shown(await pause.pause(minutes)));
  });
  routes.delete("/", async (c) => c.json(shown(await pause.resume())));
  return routes;
}

/**
 * A pause's length as given (absent or null: until resumed), or a one-line reason why it is
 * none: a whole number of minutes from 1 to a week.
 */
export function pauseMinutes(given: unknown): number | undefined | string {
  if (given === undefined || given === null || given === "") return undefined;
  const minutes = typeof given === "string" ? Number(given) : given;
  if (
    typeof minutes !== "number" || !Number.isInteger(minutes) || minutes < 1 ||
    minutes > MAX_PAUSE_MINUTES
  ) {
    return `minutes=${
      JSON.stringify(given)
    }: expected a whole number from 1 to ${MAX_PAUSE_MINUTES}, or none for until resumed`;
  }
  return minutes;
}

function shown(state: PauseState) {
  return state.until === undefined
    ? state
    : { paused: state.paused, until: new Date(state.until).toISOString() };
}
