/**
 * What "latency" means for a result, the one definition the degraded rule, the Latency metric, the
 * evaluator's records and the live view share: the whole probe (`phases.total`) for every kind but
 * ICMP, where it is the average round trip. An ICMP probe's total is mostly the gaps between its echo
 * requests (ICMP_SEND_INTERVAL_MS each), which say nothing about the target; Blackbox Exporter reports
 * the same split (`probe_duration_seconds` beside `probe_icmp_duration_seconds{phase="rtt"}`).
 */
/** A probe result, or a stored one: only the total and an ICMP probe's average round trip are read. */
export interface Timed {
  phases: { total: number };
  icmp?: { rtt?: { avg: number } };
}

export function latencyOf(result: Timed): number {
  return result.icmp?.rtt?.avg ?? result.phases.total;
}
