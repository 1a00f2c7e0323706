export function quicksort(arr: readonly number[]): number[] {
  if (arr.length === 0) {
    return [];
  }
  const [pivot, ...rest] = arr;
  const lesser = quicksort(rest.filter((x) => x < pivot));
  const greater = quicksort(rest.filter((x) => x > pivot));
  return [...lesser, pivot, ...greater];
}
