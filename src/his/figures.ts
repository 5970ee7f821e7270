/**
 * Summary statistics of durations, in seconds. The median of an even count
 * is the mean of the two middle values; p90 is the nearest-rank 90th
 * percentile (the ceil(0.9 n)-th smallest value).
 */
export interface DurationSummary {
  count: number;
  meanSeconds: number | null;
  medianSeconds: number | null;
  p90Seconds: number | null;
  maxSeconds: number | null;
}

export function summarizeDurations(durationsMs: number[]): DurationSummary {
  if (durationsMs.length === 0) {
    return { count: 0, meanSeconds: null, medianSeconds: null, p90Seconds: null, maxSeconds: null };
  }
  const seconds = durationsMs.map((ms) => ms / 1000).sort((a, b) => a - b);
  const count = seconds.length;
  const middle = Math.floor(count / 2);
  const median = count % 2 === 1 ? seconds[middle]! : (seconds[middle - 1]! + seconds[middle]!) / 2;
  return {
    count,
    meanSeconds: round(seconds.reduce((sum, value) => sum + value, 0) / count),
    medianSeconds: round(median),
    p90Seconds: round(seconds[Math.ceil(0.9 * count) - 1]!),
    maxSeconds: round(seconds[count - 1]!),
  };
}

/** Rounds to milliseconds so figures compare exactly across runs. */
function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
