/** What the dashboard's tables share: a titled table of counts, and durations as people read them. */

/** A section with a title and one row per name and its count, most first as given. */
export function NameTable(props: { id: string; title: string; rows: [string, number][] }) {
  return (
    <section>
      <h2>{props.title}</h2>
      <table id={props.id}>
        {props.rows.map(([name, count]) => (
          <tr>
            <td>{name}</td>
            <td class="n">{count}</td>
          </tr>
        ))}
      </table>
    </section>
  );
}

/** Durations are whole milliseconds: a cached answer's 0 reads better as "<1". */
export const milliseconds = (ms: number | undefined) =>
  ms === undefined ? "" : ms < 1 ? "<1" : ms.toFixed(0);
