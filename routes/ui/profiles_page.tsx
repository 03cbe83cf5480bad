/**
 * The dashboard's profiles page: every profile and client, each with its DoH URL, and plain
 * forms to create, edit and delete them (no scripts). What a form cannot say in a field (a list
 * of entries) is one item per line.
 */
import type { Profile } from "../../pipeline/profile.ts";
import type { ClientSpec } from "../../clients/spec.ts";
import { Layout } from "./layout.tsx";

export interface ProfilesData {
  instance: string;
  profiles: readonly Profile[];
  clients: readonly ClientSpec[];
  /** Configured list names, by kind: what a profile may choose from. */
  blocklists: readonly string[];
  allowlists: readonly string[];
  /** Where edits are kept; undefined: they cannot be made (no file, no Redis). */
  storedIn?: string;
  restricted: boolean;
  /** The base of DoH URLs ("https://dns.example.net"), from the request. */
  origin: string;
  /** The profile or client whose form is filled in, by name. */
  editProfile?: string;
  editClient?: string;
  notice?: { text: string; error?: boolean };
}

const BLOCK_RESPONSES = ["nxdomain", "nodata", "null", "refused"];
const LOG_MODES = ["address", "hash", "off"];

export function ProfilesPage(props: { data: ProfilesData }) {
  const { data } = props;
  const editing = data.profiles.find((profile) => profile.name === data.editProfile);
  const editingClient = data.clients.find((client) => client.name === data.editClient);
  const users = (name: string) => data.clients.filter((client) => client.profile === name).length;
  return (
    <Layout title="Profiles and clients">
      <header>
        <h1>DoH gateway · {data.instance} · profiles and clients</h1>
        <a href="/" style="color:#fff">dashboard</a>
        <form method="post" action="/logout">
          <button type="submit">Log out</button>
        </form>
      </header>
      <main>
        {data.notice && (
          <p class={`note wide${data.notice.error ? " error" : ""}`} role="status">
            {data.notice.text}
          </p>
        )}
        {data.storedIn === undefined && (
          <p class="note wide error">
            Profiles cannot be edited here: set PROFILES_FILE or Redis to keep them.
          </p>
        )}
        <section class="wide" id="profiles">
          <h2>Profiles</h2>
          <table>
            <thead>
              <tr>
                <th>name</th>
                <th>block lists</th>
                <th>allowlists</th>
                <th>own entries</th>
                <th>block answer</th>
                <th>safe search</th>
                <th>upstreams</th>
                <th>log</th>
                <th>clients</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {data.profiles.map((profile) => (
                <tr data-profile={profile.name}>
                  <td>
                    <a href={`/profiles?profile=${encodeURIComponent(profile.name)}`}>
                      {profile.name}
                    </a>
                  </td>
                  <td>{profile.blocklists?.join(", ") ?? "all"}</td>
                  <td>{profile.allowlists?.join(", ") ?? "all"}</td>
                  <td class="n">
                    {profile.block.length} block, {profile.allow.length} allow
                  </td>
                  <td>{profile.blockResponse ?? "default"}</td>
                  <td>{profile.safeSearch ? "on" : "off"}</td>
                  <td>{profile.upstreams?.join(", ") ?? "default"}</td>
                  <td>{profile.log ?? "default"}</td>
                  <td class="n">{users(profile.name)}</td>
                  <td>
                    <DeleteButton section="profiles" name={profile.name} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section id="profile-form">
          <h2>{editing ? `Edit profile ${editing.name}` : "New profile"}</h2>
          <ProfileForm data={data} profile={editing} />
        </section>
        <section class="wide" id="clients">
          <h2>Clients{data.restricted ? " (only these are answered)" : ""}</h2>
          <table>
            <thead>
              <tr>
                <th>name</th>
                <th>profile</th>
                <th>ClientIDs and their DoH URLs</th>
                <th>addresses</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {data.clients.map((client) => (
                <tr data-client={client.name}>
                  <td>
                    <a href={`/profiles?client=${encodeURIComponent(client.name)}`}>
                      {client.name}
                    </a>
                  </td>
                  <td>{client.profile}</td>
                  <td>
                    {client.ids.map((id) => (
                      <div>
                        <code>{`${data.origin}/dns-query/${id}`}</code>
                      </div>
                    ))}
                  </td>
                  <td>{client.addresses.join(", ")}</td>
                  <td>
                    <DeleteButton section="clients" name={client.name} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section id="client-form">
          <h2>{editingClient ? `Edit client ${editingClient.name}` : "New client"}</h2>
          <form method="post" action="/ui/clients">
            <p>
              <label>
                Name <input name="name" required value={editingClient?.name ?? ""} />
              </label>
            </p>
            <p>
              <label>
                Profile{" "}
                <select name="profile">
                  {["default", ...data.profiles.map((p) => p.name).filter((n) => n !== "default")]
                    .map((name) => (
                      <option value={name} selected={editingClient?.profile === name}>
                        {name}
                      </option>
                    ))}
                </select>
              </label>
            </p>
            <p>
              <label>
                ClientIDs (one per line: letters, digits, '-')
                <br />
                <textarea name="ids" rows={3} cols={30}>
                  {editingClient?.ids.join("\n") ?? ""}
                </textarea>
              </label>
            </p>
            <p>
              <label>
                Addresses or CIDR ranges (one per line)
                <br />
                <textarea name="addresses" rows={3} cols={30}>
                  {editingClient?.addresses.join("\n") ?? ""}
                </textarea>
              </label>
            </p>
            <button type="submit">Save client</button>
          </form>
        </section>
      </main>
    </Layout>
  );
}

/** A row's delete button: a form of its own, so it works without scripts. */
function DeleteButton(props: { section: "profiles" | "clients"; name: string }) {
  return (
    <form method="post" action={`/ui/${props.section}/delete`}>
      <input type="hidden" name="name" value={props.name} />
      <button type="submit">Delete</button>
    </form>
  );
}

function ProfileForm(props: { data: ProfilesData; profile?: Profile }) {
  const { data, profile } = props;
  const lists = (kind: "blocklists" | "allowlists", names: readonly string[]) => {
    const chosen = profile?.[kind];
    return (
      <fieldset>
        <legend>{kind === "blocklists" ? "Block lists" : "Allowlists"}</legend>
        <label>
          <input type="checkbox" name={`${kind}_all`} value="on" checked={chosen === undefined} />
          {" "}
          every configured list
        </label>
        {names.map((name) => (
          <label>
            {" "}
            <input type="checkbox" name={kind} value={name} checked={chosen?.includes(name)} />{" "}
            {name}
          </label>
        ))}
      </fieldset>
    );
  };
  return (
    <form method="post" action="/ui/profiles">
      <p>
        <label>
          Name (a-z, 0-9, '-'){" "}
          <input
            name="name"
            required
            pattern="[a-z0-9\-]{1,63}"
            value={profile?.name ?? ""}
          />
        </label>
      </p>
      {lists("blocklists", data.blocklists)}
      {lists("allowlists", data.allowlists)}
      <p>
        <label>
          Its own block entries (one per line; "*.x" for subdomains only)
          <br />
          <textarea name="block" rows={4} cols={30}>{profile?.block.join("\n") ?? ""}</textarea>
        </label>
      </p>
      <p>
        <label>
          Its own allow entries (one per line)
          <br />
          <textarea name="allow" rows={3} cols={30}>{profile?.allow.join("\n") ?? ""}</textarea>
        </label>
      </p>
      <p>
        <label>
          Block answer{" "}
          <select name="block_response">
            <option value="">default (BLOCK_RESPONSE)</option>
            {BLOCK_RESPONSES.map((response) => (
              <option value={response} selected={profile?.blockResponse === response}>
                {response}
              </option>
            ))}
          </select>
        </label>
      </p>
      <p>
        <label>
          <input type="checkbox" name="safe_search" value="on" checked={profile?.safeSearch} />{" "}
          Safe search (Google, YouTube, Bing, DuckDuckGo)
        </label>
      </p>
      <p>
        <label>
          Its own upstreams (one URL per line; empty: UPSTREAMS)
          <br />
          <textarea name="upstreams" rows={2} cols={30}>
            {profile?.upstreams?.join("\n") ?? ""}
          </textarea>
        </label>
      </p>
      <p>
        <label>
          Query log{" "}
          <select name="log">
            <option value="">default (LOG_CLIENT)</option>
            {LOG_MODES.map((mode) => (
              <option value={mode} selected={profile?.log === mode}>
                {mode === "address"
                  ? "client's address"
                  : mode === "hash"
                  ? "client hashed"
                  : "not logged"}
              </option>
            ))}
          </select>
        </label>
      </p>
      <button type="submit">Save profile</button>
    </form>
  );
}
