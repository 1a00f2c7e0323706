export function mergesort(arr: readonly number[]): number[] {
  if (arr.length <= 1) {
    return [...arr];
  }
  const middle = Math.floor(arr.length / 2);
  const left = mergesort(arr.slice(0, middle));
  const right = mergesort(arr.slice(middle));
  const merged: number[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    if (left[i] <= right[j]) {
      merged.push(left[i++]);
    } else {
      merged.push(right[j++]);
    }
  }
  return merged.concat(left.slice(i), right.slice(j));
}
