/**
 * The one worker pool: `work` over `items` with at most `limit` in flight, results in the items'
 * order. A slow item holds one slot and never delays when another starts, so each probe's timing is
 * its own. `onDone` sees each result as it completes (a live view).
 */
export async function pool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>, onDone?: (result: R, index: number) => void): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!, i);
      onDone?.(out[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}
