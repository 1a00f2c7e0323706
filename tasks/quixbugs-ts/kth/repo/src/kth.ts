export function kth(arr: readonly number[], k: number): number {
  const pivot = arr[0];
  const below = arr.filter((x) => x < pivot);
  const above = arr.filter((x) => x > pivot);
  const numLess = below.length;
  const numLessOrEq = arr.length - above.length;
  if (k < numLess) {
    return kth(below, k);
  } else if (k >= numLessOrEq) {
    return kth(above, k);
  }
  return pivot;
}
