/**
 * The dashboard's profiles page (`/profiles`) and its form actions, mounted on the dashboard's
 * routes behind its session and same-origin gate. An edit goes where the admin API's go
 * (clients/policy_edit.ts: checked whole before anything is kept); a mistake comes back as a
 * notice naming the field, the form filled in as it was.
 */
import type { Context, Hono } from "hono";
import type { ListSource } from "../blocklist/source.ts";
import { holds } from "../clients/policy_edit.ts";
import { PolicyError } from "../clients/spec.ts";
import type { AdminProfilesDeps } from "./admin_profiles.ts";
import type { AppEnv } from "./client_address.ts";
import { type FormFields, formFields } from "./form_fields.ts";
import { ProfilesPage } from "./ui/profiles_page.tsx";

type Form = FormFields;

export interface ProfilesPageDeps {
  instance: string;
  profiles?: AdminProfilesDeps;
  listSources?: readonly ListSource[];
  loggedIn: (c: Context<AppEnv>) => Promise<boolean>;
}

export function mountProfilesPage(routes: Hono<AppEnv>, deps: ProfilesPageDeps): void {
  const names = (kind: ListSource["kind"]) =>
    (deps.listSources ?? []).filter((source) => source.kind === kind).map((s) => s.name);

  routes.get("/profiles", (c) => {
    if (deps.profiles === undefined) return c.redirect("/", 303);
    const doc = deps.profiles.directory.current.doc;
    const error = c.req.query("error");
    const done = c.req.query("done");
    return c.html(
      <ProfilesPage
        data={{
          instance: deps.instance,
          profiles: doc.profiles,
          clients: doc.clients,
          blocklists: names("block"),
          allowlists: names("allow"),
          storedIn: deps.profiles.store?.description,
          restricted: deps.profiles.directory.current.restricted,
          origin: new URL(c.req.url).origin,
          editProfile: c.req.query("profile"),
          editClient: c.req.query("client"),
          notice: error !== undefined
            ? { text: error, error: true }
            : done !== undefined
            ? { text: `${done}. It takes effect on the next query.` }
            : undefined,
        }}
      />,
    );
  });

  const edit = async (
    c: Context<AppEnv>,
    section: "profiles" | "clients",
    value: (form: Form) => Record<string, unknown> | undefined,
  ) => {
    if (!(await deps.loggedIn(c))) return c.redirect("/", 303);
    const form = await formFields(c, true);
    if (form instanceof Response) return form;
    const name = field(form, "name").trim();
    const which = section === "profiles" ? "profile" : "client";
    const back = (query: string) => c.redirect(`/profiles?${query}`, 303);
    const store = deps.profiles?.store;
    if (store === undefined) {
      return back(`error=${encodeURIComponent("set PROFILES_FILE or Redis to keep profiles")}`);
    }
    const given = value(form);
    if (given === undefined && !holds(deps.profiles!.directory.current.doc, section, name)) {
      return back(`error=${encodeURIComponent(`no ${which} named "${name}"`)}`);
    }
    try {
      await store.edit({ section, name, value: given });
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      const at = error.path.slice(2).join(".");
      const text = `${which} "${name}": ${at ? `${at}: ` : ""}${error.message}`;
      return back(`error=${encodeURIComponent(text)}&${which}=${encodeURIComponent(name)}`);
    }
    const done = `${which} ${name} ${given === undefined ? "deleted" : "saved"}`;
    return back(`done=${encodeURIComponent(done)}`);
  };

  routes.post("/ui/profiles", (c) => edit(c, "profiles", profileFields));
  routes.post("/ui/profiles/delete", (c) => edit(c, "profiles", () => undefined));
  routes.post("/ui/clients", (c) => edit(c, "clients", clientFields));
  routes.post("/ui/clients/delete", (c) => edit(c, "clients", () => undefined));
}

/** A profile's fields from its form: unchecked "every list" means the lists ticked. */
function profileFields(form: Form): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const kind of ["blocklists", "allowlists"]) {
    if (field(form, `${kind}_all`) !== "on") value[kind] = all(form, kind);
  }
  const block = lines(field(form, "block"));
  const allow = lines(field(form, "allow"));
  const upstreams = lines(field(form, "upstreams"));
  if (block.length > 0) value.block = block;
  if (allow.length > 0) value.allow = allow;
  if (upstreams.length > 0) value.upstreams = upstreams;
  if (field(form, "block_response") !== "") value.block_response = field(form, "block_response");
  if (field(form, "safe_search") === "on") value.safe_search = true;
  if (field(form, "log") !== "") value.log = field(form, "log");
  return value;
}

function clientFields(form: Form): Record<string, unknown> {
  return {
    profile: field(form, "profile"),
    ids: lines(field(form, "ids")),
    addresses: lines(field(form, "addresses")),
  };
}

function field(form: Form, name: string): string {
  const value = form[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === "string" ? first : "";
}

function all(form: Form, name: string): string[] {
  const value = form[name];
  const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return items.filter((item): item is string => typeof item === "string");
}

/** One item per line (commas and spaces separate too), blanks dropped. */
function lines(text: string): string[] {
  return text.split(/[\s,]+/).filter((item) => item !== "");
}
