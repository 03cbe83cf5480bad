/** The header of the dashboard's pages: the instance, a link to each view, and log out. */
export function PanelHeader(props: { instance: string }) {
  return (
    <header>
      <h1>DoH gateway · {props.instance}</h1>
      <nav>
        <a href="/">overview</a> <a href="/stats">history</a> <a href="/log">log</a>{" "}
        <a href="/lists">lists</a> <a href="/profiles">profiles</a>
      </nav>
      <form method="post" action="/logout">
        <button type="submit">Log out</button>
      </form>
    </header>
  );
}

/** One line about the last action, or what was wrong with what was asked. */
export function Notice(props: { notice?: { text: string; error?: boolean } }) {
  const { notice } = props;
  if (notice === undefined) return null;
  return (
    <p class={`note wide${notice.error ? " error" : ""}`} role={notice.error ? "alert" : "status"}>
      {notice.text}
    </p>
  );
}
