/** The login form: the admin token, which starts a session (routes/sessions.ts). */
import { Layout } from "./layout.tsx";

export function LoginPage(props: { error?: string }) {
  return (
    <Layout title="DoH gateway: log in">
      <section class="login">
        <h2>DoH gateway dashboard</h2>
        {props.error && <p class="note error" role="alert">{props.error}</p>}
        <form method="post" action="/login">
          <label>
            Admin token{" "}
            <input type="password" name="token" autocomplete="current-password" required />
          </label>{" "}
          <button type="submit">Log in</button>
        </form>
      </section>
    </Layout>
  );
}
