/** The page frame every dashboard page shares: title, inline stylesheet, no scripts. */
import type { Child } from "hono/jsx";

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f4f6f9; }
header { display: flex; align-items: center; gap: 1rem; padding: .75rem 1.5rem; background: #1d2330; color: #fff; }
header h1 { font-size: 1.1rem; margin: 0; flex: 1; }
header form { margin: 0; }
header nav a { color: #fff; margin-right: .6rem; }
#log td:first-child, #log td.qname { white-space: nowrap; }
form.row-action { display: flex; gap: .2rem; margin: 0; } form.row-action button { padding: .1rem .3rem; }
.paging a { margin-right: 1rem; } .ranges a { margin-right: .6rem; } .ranges a.current { font-weight: 700; }
main { padding: 1rem 1.5rem; display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); }
section { background: #fff; border-radius: 6px; padding: .75rem 1rem; box-shadow: 0 1px 2px #0002; }
section.wide { grid-column: 1 / -1; }
h2 { font-size: .95rem; margin: 0 0 .5rem; }
.cards { display: flex; gap: 1.5rem; flex-wrap: wrap; }
.card b { display: block; font-size: 1.6rem; }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; padding: .2rem .4rem; border-bottom: 1px solid #e5e8ee; font-variant-numeric: tabular-nums; }
td.n { text-align: right; white-space: nowrap; }
#upstreams td:first-child { word-break: break-all; }
.chart { width: 100%; height: auto; }
.chart .rest { fill: #4c78d0; } .chart .cached { fill: #3aa56b; } .chart .blocked { fill: #d0463a; }
.chart .answered { fill: #4c78d0; } .chart .failed { fill: #8a5cb8; }
.legend .answered { background: #4c78d0; } .legend .cached { background: #3aa56b; } .legend .blocked { background: #d0463a; } .legend .failed { background: #8a5cb8; }
.chart .axis { font-size: 11px; fill: #667; } .chart .tick { stroke: #99a; stroke-width: 1; }
td.bad { color: #b3261e; font-weight: 600; }
td.answer { word-break: break-all; font-size: .9em; }
.legend span { margin-right: 1rem; } .legend i { display: inline-block; width: .8em; height: .8em; margin-right: .3em; }
.note { padding: .5rem .75rem; border-radius: 4px; background: #e8f3ec; }
.note.error { background: #fbe9e7; }
input, select, button { font: inherit; padding: .25rem .5rem; }
.login { max-width: 360px; margin: 10vh auto; }
`;

export function Layout(props: { title: string; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <style>{STYLE}</style>
      </head>
      <body>{props.children}</body>
    </html>
  );
}
