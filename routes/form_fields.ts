/**
 * The fields of a dashboard form. A body that is no form (a multipart body cut short, a bad
 * boundary) is the client's mistake: 400, never a 500 with a stack trace on stderr, which the
 * unauthenticated login form would let anyone print at will.
 */
import type { Context } from "hono";
import type { AppEnv } from "./client_address.ts";
import { reason } from "./reason.ts";

export type FormFields = Record<string, string | File | (string | File)[]>;

/** The form's fields (`all`: every value of a repeated field), or the 400 refusing the body. */
export async function formFields(
  c: Context<AppEnv>,
  all = false,
): Promise<FormFields | Response> {
  try {
    return await c.req.parseBody({ all });
  } catch {
    return reason(
      400,
      "expected a form: application/x-www-form-urlencoded or multipart/form-data",
    );
  }
}
