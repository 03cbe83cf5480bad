/**
 * Whether a process's memory leaks, read from RSS samples over a run: V8 grows its heap in steps
 * for minutes before it settles, so growth measured from the end of any fixed warm-up says when
 * that happened as much as whether memory leaks. A leak keeps growing; a heap that settled does
 * not. So the verdict is the slope of a least-squares line through the samples of the last half
 * of the run, as the growth it makes over that half relative to where the line starts it.
 */

export interface RssSample {
  /** Since the run started. */
  seconds: number;
  bytes: number;
}

export interface RssVerdict {
  /** Fitted growth over the last half, bytes per second. */
  slope: number;
  /** Growth the slope makes over the last half, as a share of the fitted level at its start. */
  growth: number;
  pass: boolean;
}

/** The verdict on `samples` (in time order): pass when `growth` is at most `maxGrowth`. */
export function rssVerdict(samples: RssSample[], maxGrowth: number): RssVerdict {
  if (samples.length < 2) return { slope: 0, growth: 0, pass: true };
  const first = samples[0].seconds;
  const last = samples[samples.length - 1].seconds;
  const middle = (first + last) / 2;
  const half = samples.filter((sample) => sample.seconds >= middle);
  const n = half.length;
  const meanT = half.reduce((sum, s) => sum + s.seconds, 0) / n;
  const meanB = half.reduce((sum, s) => sum + s.bytes, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const { seconds, bytes } of half) {
    covariance += (seconds - meanT) * (bytes - meanB);
    variance += (seconds - meanT) ** 2;
  }
  const slope = variance === 0 ? 0 : covariance / variance;
  const start = meanB + slope * (middle - meanT);
  const growth = start > 0 ? slope * (last - middle) / start : 0;
  return { slope, growth, pass: growth <= maxGrowth };
}
