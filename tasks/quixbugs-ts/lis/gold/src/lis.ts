export function lis(arr: readonly number[]): number {
  const best = arr.map(() => 1);
  for (let i = 0; i < arr.length; i++) {
    for (let j = 0; j < i; j++) {
      if (arr[j] < arr[i]) {
        best[i] = Math.max(best[i], best[j] + 1);
      }
    }
  }
  return arr.length === 0 ? 0 : Math.max(...best);
}
