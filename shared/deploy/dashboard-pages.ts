/**
 * How the checks are spread over dashboards so each stays within CloudWatch's limits. Pure (no
 * aws-cdk-lib), so the cost model can count the dashboards it bills.
 *
 * The limits, from https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html
 * and https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html:
 * a dashboard body holds 0 to 500 widgets (both pages say so); a graph up to 500 metrics; a dashboard
 * up to 2,500 metrics across its widgets, counting the metrics a math expression reads. The stored
 * copy of the quotas page breaks off inside that sentence, so the 2,500 is from the live page as
 * remembered, not re-read here; it is the binding one only past about 6 locations per check, and
 * packing to it is the conservative reading.
 */

export const DASHBOARD_LIMITS = { widgets: 500, metricsPerWidget: 500, metrics: 2500 } as const;

/** What one check costs a dashboard: 3 graphs; availability reads 2 metrics a location (the expression and its source) and the check's Maintenance, p50 and p95 one each. */
export function checkFootprint(locations: number): { widgets: number; metrics: number } {
  return { widgets: 3, metrics: 4 * locations + 1 };
}

/** The first dashboard's overview row: three evaluator graphs reading five metrics (invocations, errors, sweeps; lag; dead letters). */
export function overviewFootprint(evaluator = true): { widgets: number; metrics: number } {
  return { widgets: evaluator ? 3 : 0, metrics: evaluator ? 5 : 0 };
}

export interface DashboardPage<T> {
  /** Only the first page carries the overview row (the evaluator and the sweeps). */
  readonly overview: boolean;
  readonly checks: readonly T[];
}

/**
 * Fills pages in config order, starting a new one when the next check would pass a limit. The first
 * page starts with the overview's widgets and metrics already spent. A check no page could hold (over
 * 125 locations) is not something a deployment can declare; it still gets a page of its own.
 */
export function paginate<T>(checks: readonly T[], locationsOf: (check: T) => number, overview: { widgets: number; metrics: number }): DashboardPage<T>[] {
  const pages: Array<{ overview: boolean; checks: T[]; widgets: number; metrics: number }> = [{ overview: true, checks: [], ...overview }];
  for (const check of checks) {
    const cost = checkFootprint(locationsOf(check));
    let page = pages.at(-1)!;
    const fits = page.widgets + cost.widgets <= DASHBOARD_LIMITS.widgets && page.metrics + cost.metrics <= DASHBOARD_LIMITS.metrics;
    if (!fits && page.checks.length > 0) {
      page = { overview: false, checks: [], widgets: 0, metrics: 0 };
      pages.push(page);
    }
    page.checks.push(check);
    page.widgets += cost.widgets;
    page.metrics += cost.metrics;
  }
  return pages.map(({ overview: o, checks: c }) => ({ overview: o, checks: c }));
}

/** The name of the n-th dashboard (0-based): the first keeps the plain name, so an existing one is not replaced. */
export function dashboardName(base: string, index: number): string {
  return index === 0 ? base : `${base}-${index + 1}`;
}

/** How many dashboards a deployment gets: what the cost model bills (each beyond the free three). */
export function dashboardCount(checks: ReadonlyArray<{ readonly locations: readonly string[] }>): number {
  return paginate(checks, (c) => c.locations.length, overviewFootprint()).length;
}
