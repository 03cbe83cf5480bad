/**
 * The Prometheus text exposition format (version 0.0.4) and the three kinds of metric the
 * gateway keeps: counters, gauges and histograms, with labels. Our own rather than an npm
 * client: the one we used loaded Node's compatibility layer, which a cold start must not wait
 * for, and its label handling showed in a cached answer's CPU (`deno task bench:all`: cold
 * start, cached rows). Here a series is found by one Map lookup on its label values, and an
 * increment is an addition.
 *
 * Figures other parts already keep (cache size, list sizes) are not copied into series: a
 * `Sourced` family reads them when Prometheus scrapes.
 */

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type MetricType = "counter" | "gauge" | "histogram";

/** One family's lines of exposition text. */
interface Family {
  render(): string | Promise<string>;
}

/** The families `/metrics` shows, in the order they were made. */
export class Registry {
  #families: Family[] = [];

  add<F extends Family>(family: F): F {
    this.#families.push(family);
    return family;
  }

  async metrics(): Promise<string> {
    const parts = await Promise.all(this.#families.map((family) => family.render()));
    return parts.join("");
  }
}

interface FamilyOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

/** Label values by name; every name of the family must be given. */
export type Labels<L extends string> = Readonly<Record<L, string>>;

/** One series: its rendered label set and its value. */
interface Entry<V> {
  labels: string;
  value: V;
}

/**
 * A family's series, found by their label values through one Map per label (in the family's
 * label order): the values are usually constant strings whose hash V8 keeps, where a key
 * joined from them would be a new string to hash on every increment.
 */
abstract class Series<L extends string, V> {
  readonly name: string;
  readonly #header: string;
  readonly #labelNames: readonly L[];
  readonly #root = new Map<string, unknown>();
  readonly #entries: Entry<V>[] = [];

  constructor(type: MetricType, options: FamilyOptions<L>) {
    this.name = options.name;
    this.#header = header(options.name, options.help, type);
    this.#labelNames = options.labelNames ?? [];
  }

  /** The series for `labels`, made with `create` on first use. */
  protected series(labels: Labels<L> | undefined, create: (family: this) => V): V {
    const names = this.#labelNames;
    let level = this.#root;
    const last = names.length - 1;
    for (let i = 0; i < last; i++) {
      const value = labels![names[i]];
      let next = level.get(value) as Map<string, unknown> | undefined;
      if (next === undefined) level.set(value, next = new Map());
      level = next;
    }
    const key = last < 0 ? "" : labels![names[last]];
    let found = level.get(key) as Entry<V> | undefined;
    if (found === undefined) {
      found = { labels: renderLabels(names, labels), value: create(this) };
      level.set(key, found);
      this.#entries.push(found);
    }
    return found.value;
  }

  render(): string {
    let text = this.#header;
    for (const { labels, value } of this.#entries) text += this.renderSeries(labels, value);
    return text;
  }

  /** The sample lines of one series; `labels` is its rendered label set, without braces. */
  protected abstract renderSeries(labels: string, value: V): string;
}

/** A count that only goes up. */
export class Counter<L extends string = never> extends Series<L, { n: number }> {
  constructor(options: FamilyOptions<L>) {
    super("counter", options);
    // A counter without labels is one series, shown as 0 before its first increment.
    if (!options.labelNames?.length) this.series(undefined, newCount);
  }

  inc(labels?: Labels<L>, by = 1): void {
    this.series(labels, newCount).n += by;
  }

  protected renderSeries(labels: string, value: { n: number }): string {
    return sampleLine(this.name, labels, value.n);
  }
}

/** How many observations fell at or below each bound, and their sum. */
interface HistogramSeries {
  /** Per bucket, not cumulative; the last one is above every bound (+Inf). */
  counts: number[];
  sum: number;
}

/** A counter's first value. Made once, not per increment (as is newHistogramSeries). */
function newCount(): { n: number } {
  return { n: 0 };
}

function newHistogramSeries<L extends string>(family: Histogram<L>): HistogramSeries {
  return { counts: new Array(family.bounds.length + 1).fill(0), sum: 0 };
}

/** Observations counted into buckets by upper bound (seconds, bytes...). */
export class Histogram<L extends string = never> extends Series<L, HistogramSeries> {
  /** Upper bounds of the buckets, ascending. */
  readonly bounds: readonly number[];
  readonly #le: string[];

  constructor(options: FamilyOptions<L> & { buckets: readonly number[] }) {
    super("histogram", options);
    this.bounds = [...options.buckets].sort((a, b) => a - b);
    this.#le = [...this.bounds.map(formatValue), "+Inf"];
  }

  observe(labels: Labels<L> | undefined, value: number): void {
    const series = this.series(labels, newHistogramSeries);
    const bounds = this.bounds;
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]) bucket++;
    series.counts[bucket]++;
    series.sum += value;
  }

  protected renderSeries(labels: string, value: HistogramSeries): string {
    const comma = labels === "" ? "" : ",";
    let text = "";
    let cumulative = 0;
    for (let i = 0; i < value.counts.length; i++) {
      cumulative += value.counts[i];
      text += sampleLine(`${this.name}_bucket`, `${labels}${comma}le="${this.#le[i]}"`, cumulative);
    }
    text += sampleLine(`${this.name}_sum`, labels, value.sum);
    text += sampleLine(`${this.name}_count`, labels, cumulative);
    return text;
  }
}

/** One sample a `Sourced` family reads at scrape time. */
export interface SourcedSample<L extends string> {
  labels?: Labels<L>;
  value: number;
}

/** A counter or gauge whose values live elsewhere and are read when Prometheus scrapes. */
export class Sourced<L extends string = never> implements Family {
  readonly #options: FamilyOptions<L>;
  readonly #header: string;
  readonly #read: () => SourcedSample<L>[] | Promise<SourcedSample<L>[]>;

  constructor(
    type: "counter" | "gauge",
    options: FamilyOptions<L>,
    read: () => SourcedSample<L>[] | Promise<SourcedSample<L>[]>,
  ) {
    this.#options = options;
    this.#header = header(options.name, options.help, type);
    this.#read = read;
  }

  async render(): Promise<string> {
    const labelNames = this.#options.labelNames ?? [];
    let text = this.#header;
    for (const { labels, value } of await this.#read()) {
      text += sampleLine(this.#options.name, renderLabels(labelNames, labels), value);
    }
    return text;
  }
}

function header(name: string, help: string, type: MetricType): string {
  return `# HELP ${name} ${help.replaceAll("\\", "\\\\").replaceAll("\n", "\\n")}\n` +
    `# TYPE ${name} ${type}\n`;
}

function sampleLine(name: string, labels: string, value: number): string {
  return labels === ""
    ? `${name} ${formatValue(value)}\n`
    : `${name}{${labels}} ${formatValue(value)}\n`;
}

/** `a="1",b="2"`: label values escaped as the format says (backslash, quote, newline). */
function renderLabels<L extends string>(names: readonly L[], labels?: Labels<L>): string {
  return names.map((name) => {
    const value = labels?.[name];
    if (value === undefined) throw new Error(`metric label "${name}" has no value`);
    const escaped = value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
    return `${name}="${escaped}"`;
  }).join(",");
}

function formatValue(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
