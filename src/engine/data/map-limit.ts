/**
 * Maps `items` through an async function with at most `limit` calls in flight, keeping the order.
 * Decoding with sharp runs on libuv's thread pool; a bounded number in flight keeps memory to a batch.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, position: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const position = next++;
      results[position] = await fn(items[position], position);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
