/**
 * Durations as the exporter and Prometheus write them: Prometheus's model.Duration (`1h30m`, `2m`,
 * `1d`, `1w`, `1y`, https://prometheus.io/docs/prometheus/latest/configuration/configuration/#duration)
 * and Go's time.ParseDuration (`1.5s`, `500ms`). Vantage writes one unit only, so the result is
 * milliseconds, formatted back with formatDuration.
 */
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, y: 365 * 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w|y)/y;

export function parseGoDuration(text: unknown): number | undefined {
  if (typeof text === 'number') return text * 1000;
  if (typeof text !== 'string' || text.trim() === '') return undefined;
  const src = text.trim();
  if (src === '0') return 0;
  let ms = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < src.length) {
    const m = PART.exec(src);
    if (!m) return undefined;
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return Math.round(ms);
}
