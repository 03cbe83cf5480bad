/**
 * Queries per minute over the last hour as an inline SVG bar chart, drawn on the server: no
 * script and no chart library, so the page works with scripts off and under a strict CSP.
 * Each bar stacks blocked (red), from cache (green) and the rest (blue); under the bars, a
 * time axis in UTC with a tick every ten minutes, and the peak rate at the top.
 */
import type { MinuteBucket } from "../../observe/stats.ts";

const WIDTH = 720;
const HEIGHT = 176;
/** Room under the bars for the time axis. */
const AXIS = 16;
const BARS = HEIGHT - AXIS;
const GAP = 2;
const MINUTE = 60_000;
const TICK_MINUTES = 10;

export function MinuteChart(props: { minutes: MinuteBucket[] }) {
  const { minutes } = props;
  const peak = Math.max(1, ...minutes.map((m) => m.total));
  const barWidth = WIDTH / Math.max(1, minutes.length) - GAP;
  const scale = (value: number) => (value / peak) * (BARS - 20);
  const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  const ticks = minutes
    .map((minute, i) => ({ i, minute: minute.minute }))
    .filter(({ minute }) => (minute / MINUTE) % TICK_MINUTES === 0);
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={`Queries per minute over the last hour, peak ${peak}`}
    >
      <text x="0" y="12" class="axis">{`${peak}/min`}</text>
      <line class="tick" x1="0" y1={BARS} x2={WIDTH} y2={BARS} />
      {ticks.map(({ i, minute }) => {
        const x = i * (barWidth + GAP) + barWidth / 2;
        return (
          <g>
            <line class="tick" x1={x} y1={BARS} x2={x} y2={BARS + 4} />
            <text x={x} y={HEIGHT - 2} class="axis" text-anchor="middle">
              {`${clock(minute)}${i === ticks[ticks.length - 1].i ? " UTC" : ""}`}
            </text>
          </g>
        );
      })}
      {minutes.map((minute, i) => {
        const x = i * (barWidth + GAP);
        const blocked = scale(minute.blocked);
        const cached = scale(minute.cached);
        const rest = scale(minute.total - minute.blocked - minute.cached);
        return (
          <g>
            <title>
              {`${
                clock(minute.minute)
              } UTC: ${minute.total} queries, ${minute.blocked} blocked, ${minute.cached} cached`}
            </title>
            <rect class="rest" x={x} y={BARS - rest} width={barWidth} height={rest} />
            <rect class="cached" x={x} y={BARS - rest - cached} width={barWidth} height={cached} />
            <rect
              class="blocked"
              x={x}
              y={BARS - rest - cached - blocked}
              width={barWidth}
              height={blocked}
            />
          </g>
        );
      })}
    </svg>
  );
}
