/**
 * Queries per minute over the last hour as an inline SVG bar chart, drawn on the server: no
 * script and no chart library, so the page works with scripts off and under a strict CSP.
 * Each bar stacks blocked (red), from cache (green) and the rest (blue); under the bars, a
 * time axis in UTC with a tick every ten minutes, and the peak rate at the top. The history's
 * chart (`OutcomeChart`) does the same over any range, one bar per bucket and outcome.
 */
import type { HistoryStats } from "../../observe/history.ts";
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

/** The outcomes as the chart stacks them, bottom first, with their colours (layout.tsx). */
const STACKED = ["answered", "cached", "blocked", "failed"] as const;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Tick spacings the time axis chooses from: the smallest giving at most `MAX_TICKS`. */
const TICK_STEPS = [10 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY];
const MAX_TICKS = 10;

/**
 * Queries per bucket over a range (observe/history.ts `HistoryStats`), each bar stacking its
 * outcomes, under them a time axis in UTC: clock times ("14:00") when ticks are under a day
 * apart, dates ("01-10") otherwise, each tick on a round time.
 */
export function OutcomeChart(props: { stats: HistoryStats }) {
  const { buckets, bucketMs } = props.stats;
  const total = (b: HistoryStats["buckets"][number]) =>
    b.answered + b.cached + b.blocked + b.failed;
  const peak = Math.max(1, ...buckets.map(total));
  const barWidth = WIDTH / Math.max(1, buckets.length) - GAP;
  const scale = (value: number) => (value / peak) * (BARS - 20);
  const span = buckets.length * bucketMs;
  const step = TICK_STEPS.find((ms) => ms >= bucketMs && span / ms <= MAX_TICKS) ?? 30 * DAY;
  const label = (ms: number) => {
    const iso = new Date(ms).toISOString();
    return step < DAY ? iso.slice(11, 16) : iso.slice(5, 10);
  };
  const ticks = buckets
    .map((bucket, i) => ({ i, time: bucket.time }))
    .filter(({ time }) => time % step === 0);
  const per = bucketMs === MINUTE ? "min" : bucketMs === HOUR ? "hour" : "day";
  return (
    <svg
      class="chart"
      id="range-chart"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={`Queries per ${per} over the last ${props.stats.range}, peak ${peak}`}
    >
      <text x="0" y="12" class="axis">{`${peak}/${per}`}</text>
      <line class="tick" x1="0" y1={BARS} x2={WIDTH} y2={BARS} />
      {ticks.map(({ i, time }, n) => {
        const x = i * (barWidth + GAP) + barWidth / 2;
        return (
          <g>
            <line class="tick" x1={x} y1={BARS} x2={x} y2={BARS + 4} />
            <text x={x} y={HEIGHT - 2} class="axis" text-anchor="middle">
              {`${label(time)}${n === ticks.length - 1 ? " UTC" : ""}`}
            </text>
          </g>
        );
      })}
      {buckets.map((bucket, i) => {
        const x = i * (barWidth + GAP);
        let top = BARS;
        const parts = STACKED.map((outcome) => {
          const height = scale(bucket[outcome]);
          top -= height;
          return { outcome, y: top, height };
        });
        const when = new Date(bucket.time).toISOString().slice(0, 16).replace("T", " ");
        return (
          <g>
            <title>
              {`${when} UTC: ${total(bucket)} queries, ` +
                STACKED.map((outcome) => `${bucket[outcome]} ${outcome}`).join(", ")}
            </title>
            {parts.map(({ outcome, y, height }) => (
              <rect class={outcome} x={x} y={y} width={barWidth} height={height} />
            ))}
          </g>
        );
      })}
    </svg>
  );
}
