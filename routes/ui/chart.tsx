/**
 * Queries per minute over the last hour as an inline SVG bar chart, drawn on the server: no
 * script and no chart library, so the page works with scripts off and under a strict CSP.
 * Each bar stacks blocked (red), from cache (green) and the rest (blue).
 */
import type { MinuteBucket } from "../../observe/stats.ts";

const WIDTH = 720;
const HEIGHT = 160;
const GAP = 2;

export function MinuteChart(props: { minutes: MinuteBucket[] }) {
  const { minutes } = props;
  const peak = Math.max(1, ...minutes.map((m) => m.total));
  const barWidth = WIDTH / Math.max(1, minutes.length) - GAP;
  const scale = (value: number) => (value / peak) * (HEIGHT - 20);
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={`Queries per minute over the last hour, peak ${peak}`}
    >
      <text x="0" y="12" class="axis">{`${peak}/min`}</text>
      {minutes.map((minute, i) => {
        const x = i * (barWidth + GAP);
        const blocked = scale(minute.blocked);
        const cached = scale(minute.cached);
        const rest = scale(minute.total - minute.blocked - minute.cached);
        const time = new Date(minute.minute).toISOString().slice(11, 16);
        return (
          <g>
            <title>
              {`${time} UTC: ${minute.total} queries, ${minute.blocked} blocked, ${minute.cached} cached`}
            </title>
            <rect class="rest" x={x} y={HEIGHT - rest} width={barWidth} height={rest} />
            <rect
              class="cached"
              x={x}
              y={HEIGHT - rest - cached}
              width={barWidth}
              height={cached}
            />
            <rect
              class="blocked"
              x={x}
              y={HEIGHT - rest - cached - blocked}
              width={barWidth}
              height={blocked}
            />
          </g>
        );
      })}
    </svg>
  );
}
