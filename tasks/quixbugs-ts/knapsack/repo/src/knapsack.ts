export function knapsack(capacity: number, items: readonly [number, number][]): number {
  const best = new Array<number>(capacity + 1).fill(0);
  for (const [weight, value] of items) {
    for (let c = capacity; c > weight; c--) {
      best[c] = Math.max(best[c], best[c - weight] + value);
    }
  }
  return best[capacity];
}
