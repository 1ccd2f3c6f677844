/** Percentiles of recorded samples and of Prometheus histograms. */

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** The q-quantile (0..1) of ascending `sorted`, interpolating between neighbours. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  const arr = Array.from(sorted);
  return {
    count: arr.length,
    p50: quantile(arr, 0.5),
    p90: quantile(arr, 0.9),
    p99: quantile(arr, 0.99),
    max: arr.length ? arr[arr.length - 1]! : NaN,
    mean: arr.length ? arr.reduce((a, v) => a + v, 0) / arr.length : NaN,
  };
}

export interface HistogramBucket {
  /** Upper bound; Infinity for `+Inf`. */
  le: number;
  /** Cumulative count. */
  count: number;
}

export interface PromHistogram {
  buckets: HistogramBucket[];
  count: number;
  sum: number;
}

/** The unlabelled histogram `name` from a Prometheus text exposition, or undefined. */
export function parseHistogram(text: string, name: string, labels: Readonly<Record<string, string>> = {}): PromHistogram | undefined {
  const buckets: HistogramBucket[] = [];
  let count: number | undefined;
  let sum = 0;
  const wanted = Object.entries(labels);
  for (const line of text.split('\n')) {
    const m = /^(\w+?)(_bucket|_count|_sum)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = new Map([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (!wanted.every(([k, v]) => found.get(k) === v)) continue;
    const value = Number(m[4]);
    if (m[2] === '_bucket') {
      const le = found.get('le');
      if (le !== undefined) buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: value });
    } else if (m[2] === '_count') count = value;
    else sum = value;
  }
  if (buckets.length === 0 || count === undefined) return undefined;
  buckets.sort((a, b) => a.le - b.le);
  return { buckets, count, sum };
}

/** The label values a metric's samples have for `label` (each once). */
export function labelValues(text: string, name: string, label: string): string[] {
  const values = new Set<string>();
  for (const m of text.matchAll(new RegExp(`^${name}(?:_bucket|_count|_sum)?\\{[^}]*\\b${label}="([^"]*)"`, 'gm'))) values.add(m[1]!);
  return [...values];
}

/** What a histogram observed since an earlier snapshot of it (bucket by bucket). */
export function histogramSince(now: PromHistogram, before: PromHistogram | undefined): PromHistogram {
  if (!before) return now;
  const earlier = new Map(before.buckets.map((b) => [b.le, b.count]));
  return {
    buckets: now.buckets.map((b) => ({ le: b.le, count: b.count - (earlier.get(b.le) ?? 0) })),
    count: now.count - before.count,
    sum: now.sum - before.sum,
  };
}

/** Counters minus an earlier snapshot of them, key by key. */
export function countersSince(now: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(now).map(([k, n]) => [k, n - (before[k] ?? 0)]));
}

/** Sum of every sample of metric `name` (all label sets) in a Prometheus text exposition. */
export function sumCounter(text: string, name: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (Number.isFinite(value)) total += value;
    }
  }
  return total;
}

/**
 * The q-quantile of a histogram, as Prometheus' `histogram_quantile` computes it: linear
 * interpolation inside the bucket holding the rank, the first bucket starting at 0. A rank in
 * the `+Inf` bucket answers the highest finite bound (`overflow` is then true).
 */
export function histogramQuantile(h: PromHistogram, q: number): { value: number; overflow: boolean } {
  if (h.count === 0) return { value: NaN, overflow: false };
  const rank = q * h.count;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return { value: prevLe, overflow: true };
      const inBucket = b.count - prevCount;
      const fraction = inBucket === 0 ? 1 : (rank - prevCount) / inBucket;
      return { value: prevLe + (b.le - prevLe) * fraction, overflow: false };
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return { value: prevLe, overflow: true };
}

/**
 * The samples of counter `name` by the values of `labels`, joined with a space
 * (`{stage="profile",outcome="ok"} 3` is `profile ok: 3`); samples with the same values are summed.
 */
export function countersByLabel(text: string, name: string, labels: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!Number.isFinite(value)) continue;
    const found = new Map<string, string>();
    for (const m of line.slice(name.length, line.lastIndexOf('}')).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) found.set(m[1]!, m[2]!);
    const key = labels.map((l) => found.get(l) ?? '').join(' ');
    out[key] = (out[key] ?? 0) + value;
  }
  return out;
}

/** Every counter (`# TYPE <name> counter`) whose name matches `pattern`, summed over its labels. */
export function countersMatching(text: string, pattern: RegExp): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^# TYPE (\S+) counter$/gm)) {
    if (pattern.test(m[1]!)) out[m[1]!] = sumCounter(text, m[1]!);
  }
  return out;
}
